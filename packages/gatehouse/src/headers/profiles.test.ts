import { parseDictionary } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { hstsFor } from './hsts.js';
import {
  API_CSP,
  apiHeaders,
  applyHeaders,
  FINGERPRINT_HEADERS,
  removeFingerprintHeaders,
  SECURITY_HEADERS,
} from './profiles.js';

function responseWith(list: Parameters<typeof applyHeaders>[1]): Response {
  const response = new Response('{}', { headers: { 'content-type': 'application/json' } });
  applyHeaders(response.headers, list);
  return response;
}

describe('the API profile', () => {
  const response = responseWith(apiHeaders());

  it('forbids a response from loading, running or being framed', () => {
    expect(API_CSP).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).toBe(API_CSP);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('sets the shared security headers', () => {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('turns powerful features off in a structured-field Permissions-Policy', () => {
    const policy = parseDictionary(response.headers.get('permissions-policy') ?? '');

    for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb']) {
      expect(policy.get(feature)).toEqual([[], new Map()]);
    }
    expect(policy.has('browsing-topics')).toBe(true);
    expect(policy.has('interest-cohort')).toBe(false);
  });

  it('sends Cache-Control: no-store only when asked', () => {
    expect(response.headers.get('cache-control')).toBeNull();
    expect(responseWith(apiHeaders({ noStore: true })).headers.get('cache-control')).toBe(
      'no-store',
    );
  });

  it('replaces a weaker header a handler set', () => {
    const handlerResponse = new Response(null, {
      headers: { 'x-frame-options': 'ALLOWALL', 'cache-control': 'public, max-age=3600' },
    });
    applyHeaders(handlerResponse.headers, apiHeaders({ noStore: true }));

    expect(handlerResponse.headers.get('x-frame-options')).toBe('DENY');
    expect(handlerResponse.headers.get('cache-control')).toBe('no-store');
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true);
    expect(Object.isFrozen(apiHeaders())).toBe(true);
  });
});

describe('removeFingerprintHeaders', () => {
  it('removes the headers that name the server, framework or version', () => {
    const headers = new Headers({
      Server: 'nginx/1.25.3',
      'X-Powered-By': 'Next.js',
      'X-AspNet-Version': '4.0.30319',
      'X-Nextjs-Cache': 'HIT',
      'X-Nextjs-Prerender': '1',
      'Content-Type': 'application/json',
    });
    removeFingerprintHeaders(headers);

    expect([...headers.keys()]).toEqual(['content-type']);
  });

  it("leaves Next.js' routing signals alone", () => {
    const headers = new Headers({
      'x-middleware-rewrite': '/internal',
      'x-middleware-next': '1',
      'x-nextjs-redirect': '/login',
      'x-nextjs-rewrite': '/internal',
    });
    removeFingerprintHeaders(headers);

    expect([...headers.keys()]).toHaveLength(4);
  });

  it('lists only lower-case names, as Headers stores them', () => {
    for (const name of FINGERPRINT_HEADERS) expect(name).toBe(name.toLowerCase());
  });
});

describe('hstsFor', () => {
  const HSTS = 'max-age=63072000; includeSubDomains';

  it('is sent for a request that came over HTTPS', () => {
    expect(hstsFor({ https: true })).toEqual([['Strict-Transport-Security', HSTS]]);
  });

  it('is sent behind a TLS-terminating proxy, though the app saw plain HTTP', () => {
    expect(hstsFor({ https: false, behindTlsProxy: true })).toEqual([
      ['Strict-Transport-Security', HSTS],
    ]);
  });

  it('is never sent over plain HTTP otherwise', () => {
    expect(hstsFor({ https: false })).toEqual([]);
    expect(hstsFor({ https: false, behindTlsProxy: false, preload: true })).toEqual([]);
  });

  it('asks for preloading only when opted in', () => {
    expect(hstsFor({ https: true })[0]?.[1]).not.toContain('preload');
    expect(hstsFor({ https: true, preload: true })).toEqual([
      ['Strict-Transport-Security', `${HSTS}; preload`],
    ]);
  });

  it('follows the scheme of the request URL', () => {
    const over = (url: string) => hstsFor({ https: new URL(url).protocol === 'https:' });
    expect(over('https://api.example.com/notes')).toHaveLength(1);
    expect(over('http://api.example.com/notes')).toHaveLength(0);
  });
});
