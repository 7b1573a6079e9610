import { parseDictionary } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { NONCE } from './csp.js';
import { createNonce } from './nonce.js';
import { createPageProfile, type CspMode, type PageProfileOptions } from './page.js';
import { applyHeaders, SECURITY_HEADERS } from './profiles.js';

const N = 'AAECAwQFBgcICQoLDA0ODw==';

const DEFAULT_POLICY =
  `default-src 'self'; script-src 'nonce-${N}' 'strict-dynamic'; ` +
  `style-src 'self' 'nonce-${N}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; ` +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function headersOf(options: PageProfileOptions, nonce = N, noStore = false): Headers {
  const headers = new Headers();
  applyHeaders(headers, createPageProfile(options).headers(nonce, { noStore }));
  return headers;
}

function refusal(options: PageProfileOptions): GatehouseError {
  try {
    createPageProfile(options);
  } catch (error) {
    if (error instanceof GatehouseError) return error;
    throw error;
  }
  throw new Error('the profile was accepted');
}

describe('the page profile', () => {
  it('enforces the default policy with the nonce of the response', () => {
    const headers = headersOf({});

    expect(headers.get('content-security-policy')).toBe(DEFAULT_POLICY);
    expect(headers.get('content-security-policy-report-only')).toBeNull();
  });

  it('sets the same non-CSP headers as the API profile', () => {
    const headers = headersOf({});
    for (const [name, value] of SECURITY_HEADERS) expect(headers.get(name)).toBe(value);
    expect(headers.get('cache-control')).toBeNull();
    expect(headersOf({}, N, true).get('cache-control')).toBe('no-store');
  });

  it('gives each response its own nonce', () => {
    const profile = createPageProfile();
    const [first, second] = [createNonce(), createNonce()];

    const one = new Map(profile.headers(first)).get('Content-Security-Policy');
    const two = new Map(profile.headers(second)).get('Content-Security-Policy');
    expect(one).toContain(`'nonce-${first}'`);
    expect(two).toContain(`'nonce-${second}'`);
    expect(two).not.toContain(first);
  });

  it('refuses a nonce that is not one', () => {
    const profile = createPageProfile();
    expect(() => profile.headers('1234')).toThrow(TypeError);
    expect(() => profile.headers(`${N}'; script-src *`)).toThrow(TypeError);
  });

  it('takes a policy of its own', () => {
    const headers = headersOf({
      policy: { 'default-src': ["'none'"], 'script-src': [NONCE], 'img-src': ['https:'] },
    });
    expect(headers.get('content-security-policy')).toBe(
      `default-src 'none'; script-src 'nonce-${N}'; img-src https:`,
    );
  });

  it('refuses an invalid policy at construction', () => {
    const error = refusal({ policy: { 'script-src': ['self'] } });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
  });
});

describe('CSP rollout modes', () => {
  it('report-only sends only Content-Security-Policy-Report-Only', () => {
    const profile = createPageProfile({ mode: 'report-only' });
    const headers = new Map(profile.headers(N));

    expect(headers.get('Content-Security-Policy-Report-Only')).toBe(DEFAULT_POLICY);
    expect(headers.has('Content-Security-Policy')).toBe(false);
    expect(profile.enforced).toBeUndefined();
  });

  it('enforce sends only Content-Security-Policy', () => {
    const headers = new Map(createPageProfile({ mode: 'enforce' }).headers(N));

    expect(headers.get('Content-Security-Policy')).toBe(DEFAULT_POLICY);
    expect(headers.has('Content-Security-Policy-Report-Only')).toBe(false);
  });

  it('enforce with a candidate sends both, sharing one nonce', () => {
    const nonce = createNonce();
    const headers = headersOf(
      {
        mode: 'enforce',
        candidate: {
          'default-src': ["'none'"],
          'script-src': [NONCE],
          'style-src': [NONCE],
          'require-trusted-types-for': ["'script'"],
        },
      },
      nonce,
    );

    expect(headers.get('content-security-policy')).toContain(`script-src 'nonce-${nonce}'`);
    expect(headers.get('content-security-policy-report-only')).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
        "require-trusted-types-for 'script'",
    );
  });

  it('refuses a candidate outside enforce mode', () => {
    const error = refusal({ mode: 'report-only', candidate: { 'default-src': ["'none'"] } });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
  });

  it('refuses an unknown mode', () => {
    const mode = 'off' as unknown as CspMode;
    expect(refusal({ mode }).code).toBe('ERR_CONFIG_INVALID');
  });
});

describe('reporting', () => {
  const reporting = { endpoint: '/api/csp-reports' };

  it('adds report-uri and report-to to the policy and a Reporting-Endpoints header', () => {
    const headers = headersOf({ mode: 'report-only', reporting });

    expect(headers.get('content-security-policy-report-only')).toBe(
      `${DEFAULT_POLICY}; report-uri /api/csp-reports; report-to csp`,
    );
    expect(headers.get('reporting-endpoints')).toBe('csp="/api/csp-reports"');
    expect(parseDictionary(headers.get('reporting-endpoints') ?? '').get('csp')?.[0]).toBe(
      '/api/csp-reports',
    );
  });

  it('reports from both the enforced and the candidate policy', () => {
    const headers = headersOf({
      candidate: { 'default-src': ["'none'"], 'script-src': [NONCE] },
      reporting: { endpoint: 'https://reports.example.com/csp', group: 'csp-endpoint' },
    });

    for (const name of ['content-security-policy', 'content-security-policy-report-only']) {
      expect(headers.get(name)).toMatch(
        /; report-uri https:\/\/reports\.example\.com\/csp; report-to csp-endpoint$/,
      );
    }
    expect(headers.get('reporting-endpoints')).toBe(
      'csp-endpoint="https://reports.example.com/csp"',
    );
  });

  it('sends no Reporting-Endpoints header without a reporting endpoint', () => {
    expect(headersOf({}).get('reporting-endpoints')).toBeNull();
  });

  it.each([
    ['a protocol-relative endpoint', { endpoint: '//evil.example/r' }],
    ['a plain-HTTP endpoint', { endpoint: 'http://reports.example.com/csp' }],
    ['an endpoint with a space', { endpoint: '/api/csp reports' }],
    ['an endpoint with a semicolon', { endpoint: "/r; script-src 'unsafe-inline'" }],
    ['an upper-case group', { endpoint: '/r', group: 'CSP' }],
    ['a group with a quote', { endpoint: '/r', group: 'csp"' }],
  ])('refuses %s', (_, bad) => {
    expect(refusal({ reporting: bad }).code).toBe('ERR_CONFIG_INVALID');
  });

  it('refuses a policy that already names its reporting', () => {
    const policy = { 'default-src': ["'self'"], 'report-uri': ['/elsewhere'] };
    expect(refusal({ policy, reporting }).message).toMatch(/report-uri is given twice/);
  });
});

describe('development and production', () => {
  it("adds 'unsafe-eval' to script-src only when development is set", () => {
    const policy = (options: PageProfileOptions) =>
      createPageProfile(options).enforced?.serialize(N) ?? '';

    expect(policy({})).not.toContain("'unsafe-eval'");
    expect(policy({ development: false })).not.toContain("'unsafe-eval'");
    expect(policy({ development: true })).toContain(
      `script-src 'nonce-${N}' 'strict-dynamic' 'unsafe-eval';`,
    );
  });

  it("gives a policy without script-src one copied from default-src, with 'unsafe-eval'", () => {
    const profile = createPageProfile({
      development: true,
      policy: { 'default-src': ["'self'", 'https:'] },
    });
    expect(profile.enforced?.serialize()).toBe(
      "default-src 'self' https:; script-src 'self' https: 'unsafe-eval'",
    );

    const none = createPageProfile({ development: true, policy: { 'default-src': ["'none'"] } });
    expect(none.enforced?.serialize()).toBe("default-src 'none'; script-src 'unsafe-eval'");
  });

  it('refuses development and production together', () => {
    expect(refusal({ development: true, production: true }).code).toBe('ERR_CONFIG_INVALID');
  });

  it('accepts the default policy in production', () => {
    expect(() => createPageProfile({ production: true, mode: 'report-only' })).not.toThrow();
  });

  it.each([
    [{ policy: { 'default-src': ["'self'"], 'script-src': ["'self'", "'unsafe-inline'"] } }],
    [{ policy: { 'default-src': ["'self'", "'unsafe-eval'"] } }],
    [{ candidate: { 'default-src': ["'self'"], 'script-src-elem': ["'unsafe-inline'"] } }],
  ])('refuses unsafe script sources in production with ERR_CONFIG_UNSAFE', (options) => {
    expect(refusal({ ...options, production: true }).code).toBe('ERR_CONFIG_UNSAFE');
  });
});
