import { describe, expect, it } from 'vitest';

import { checkCrossSite } from './cross-site.js';

const policy = { origins: ['https://app.example.com'] };

function request(headers: Record<string, string>) {
  return new Request('https://app.example.com/api/auth/refresh', { method: 'POST', headers });
}

describe('cross-site refusal for cookie endpoints', () => {
  it('accepts the configured origin', () => {
    expect(
      checkCrossSite(
        request({ origin: 'https://app.example.com', 'sec-fetch-site': 'same-origin' }),
        policy,
      ),
    ).toEqual({ ok: true });
  });

  it('refuses Sec-Fetch-Site: cross-site even with a matching Origin', () => {
    const verdict = checkCrossSite(
      request({ origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' }),
      policy,
    );
    expect(verdict).toEqual({ ok: false, reason: 'cross-site' });
  });

  it.each([
    ['a foreign origin', 'https://evil.test'],
    ['a suffix trick', 'https://app.example.com.evil.test'],
    ['another scheme', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['the opaque origin', 'null'],
    ['a trailing slash', 'https://app.example.com/'],
  ])('refuses %s', (_name, origin) => {
    expect(checkCrossSite(request({ origin }), policy)).toEqual({ ok: false, reason: 'origin' });
  });

  it('refuses a request with neither header unless non-browser clients are allowed', () => {
    expect(checkCrossSite(request({}), policy)).toEqual({ ok: false, reason: 'no-origin' });
    expect(checkCrossSite(request({}), { ...policy, allowNonBrowserClients: true })).toEqual({
      ok: true,
    });
  });

  it('accepts same-origin Fetch Metadata without Origin, and refuses same-site without it', () => {
    expect(checkCrossSite(request({ 'sec-fetch-site': 'same-origin' }), policy)).toEqual({
      ok: true,
    });
    expect(checkCrossSite(request({ 'sec-fetch-site': 'same-site' }), policy).ok).toBe(false);
  });
});
