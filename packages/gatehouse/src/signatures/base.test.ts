import { parseDictionary, type InnerList } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { createSignatureBase } from './base.js';
import { hmacSign, hmacVerify } from './hmac.js';

// RFC 9421 Appendix B.1.5: the 64-byte secret called `test-shared-secret`.
const TEST_SHARED_SECRET = Uint8Array.from(
  atob('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=='),
  (c) => c.charCodeAt(0),
);

/** RFC 9421 Appendix B.2, `test-request`. */
const testRequest = () =>
  new Request('http://example.com/foo?param=Value&Pet=dog', {
    method: 'POST',
    headers: {
      Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'Content-Type': 'application/json',
      'Content-Digest':
        'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      'Content-Length': '18',
    },
    body: '{"hello": "world"}',
  });

/** The Inner List a `Signature-Input` member holds, as a verifier receives it. */
const inputOf = (field: string, label: string) => parseDictionary(field).get(label) as InnerList;

const B25_INPUT =
  'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"';
const B25_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@authority": example.com',
  '"content-type": application/json',
  '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
].join('\n');
const B25_SIGNATURE = 'pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=';

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

describe('RFC 9421 Appendix B.2.5, hmac-sha256', () => {
  it('builds the signature base exactly, with no newline after the last line', () => {
    const result = createSignatureBase(testRequest(), inputOf(B25_INPUT, 'sig-b25'));
    expect(result).toEqual({ ok: true, base: B25_BASE });
  });

  it('reproduces the signature value byte for byte', async () => {
    expect(base64(await hmacSign(TEST_SHARED_SECRET, B25_BASE))).toBe(B25_SIGNATURE);
    const signature = Uint8Array.from(atob(B25_SIGNATURE), (c) => c.charCodeAt(0));
    expect(await hmacVerify([TEST_SHARED_SECRET], B25_BASE, signature)).toBe(true);
  });

  it('gives another signature once a trailing newline is added to the base', async () => {
    expect(base64(await hmacSign(TEST_SHARED_SECRET, `${B25_BASE}\n`))).not.toBe(B25_SIGNATURE);
  });
});

const base = (request: Request, components: string[], options = {}) =>
  createSignatureBase(
    request,
    [components.map((name) => [name, new Map()]), new Map([['created', 1]])],
    options,
  );
const lines = (result: ReturnType<typeof base>): string[] => {
  if (!result.ok) throw new Error(`no base: ${result.problem}`);
  return result.base.split('\n');
};

describe('derived components (RFC 9421 §2.2)', () => {
  const request = new Request('https://Example.COM:443/a%2Fb/c?x=1&y=%20z#fragment', {
    method: 'PATCH',
  });

  it('resolves @method, @target-uri, @authority, @scheme, @path and @query', () => {
    expect(
      lines(base(request, ['@method', '@target-uri', '@authority', '@scheme', '@path', '@query'])),
    ).toEqual([
      '"@method": PATCH',
      '"@target-uri": https://example.com/a%2Fb/c?x=1&y=%20z',
      '"@authority": example.com',
      '"@scheme": https',
      '"@path": /a%2Fb/c',
      '"@query": ?x=1&y=%20z',
      '"@signature-params": ("@method" "@target-uri" "@authority" "@scheme" "@path" "@query");created=1',
    ]);
  });

  it('gives "?" for an absent query and keeps a non-default port', () => {
    const plain = new Request('http://example.com:8080/');
    expect(lines(base(plain, ['@query', '@authority', '@path'])).slice(0, 3)).toEqual([
      '"@query": ?',
      '"@authority": example.com:8080',
      '"@path": /',
    ]);
  });

  it('takes the public target URI a proxy hid, when given one', () => {
    const behindProxy = new Request('http://10.0.0.5:3000/internal/usage?day=1');
    expect(
      lines(
        base(behindProxy, ['@target-uri', '@authority'], {
          targetUri: 'https://API.example/internal/usage?day=1#x',
        }),
      ).slice(0, 2),
    ).toEqual([
      '"@target-uri": https://api.example/internal/usage?day=1',
      '"@authority": api.example',
    ]);
  });

  it('throws a TypeError for a target URI option that is not a URL', () => {
    expect(() => base(request, ['@method'], { targetUri: 'not a url' })).toThrow(TypeError);
  });
});

describe('fields (RFC 9421 §2.1)', () => {
  it('joins repeated fields with ", " and trims them', () => {
    const headers = new Headers();
    headers.append('accept', ' application/json ');
    headers.append('accept', '*/*');
    const result = base(new Request('https://example.com/', { headers }), ['accept']);
    expect(lines(result)[0]).toBe('"accept": application/json, */*');
  });

  it('keeps an empty field as an empty value', () => {
    const request = new Request('https://example.com/', { headers: { 'x-empty': '' } });
    expect(lines(base(request, ['x-empty']))[0]).toBe('"x-empty": ');
  });
});

describe('refusals: nothing is signed over a base that cannot be built', () => {
  const request = new Request('https://example.com/p', { headers: { 'x-tenant': 't1' } });

  it.each([
    {
      what: 'a covered field the request does not carry',
      components: ['x-absent'],
      problem: 'absent-field',
    },
    { what: 'an unknown derived component', components: ['@colour'], problem: 'unknown-derived' },
    {
      what: 'a response-only derived component',
      components: ['@status'],
      problem: 'unknown-derived',
    },
    {
      what: '@query-param, which needs a parameter',
      components: ['@query-param'],
      problem: 'unknown-derived',
    },
    {
      what: '@signature-params as a covered component',
      components: ['@signature-params'],
      problem: 'signature-params-covered',
    },
    {
      what: 'a duplicate identifier',
      components: ['x-tenant', '@method', 'x-tenant'],
      problem: 'duplicate',
    },
    { what: 'an upper-case field name', components: ['X-Tenant'], problem: 'invalid-field-name' },
    {
      what: 'a field name that is no token',
      components: ['x tenant'],
      problem: 'invalid-field-name',
    },
  ])('refuses $what', ({ components, problem }) => {
    expect(base(request, components)).toMatchObject({ ok: false, problem });
  });

  it.each(['sf', 'key', 'bs', 'req', 'tr'])('refuses the ;%s component parameter', (name) => {
    const input: InnerList = [[['x-tenant', new Map([[name, true]])]], new Map()];
    expect(createSignatureBase(request, input)).toMatchObject({
      ok: false,
      problem: 'component-parameters',
    });
  });

  it('refuses an identifier that is not a String', () => {
    const input = [[[42, new Map()]], new Map()] as unknown as InnerList;
    expect(createSignatureBase(request, input)).toMatchObject({
      ok: false,
      problem: 'not-a-string',
    });
  });

  it('refuses a field value outside printable ASCII', () => {
    const latin1 = new Request('https://example.com/', { headers: { 'x-name': 'caf\u00e9' } });
    expect(base(latin1, ['x-name'])).toMatchObject({ ok: false, problem: 'not-ascii' });
  });
});
