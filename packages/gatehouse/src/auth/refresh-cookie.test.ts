import { describe, expect, it } from 'vitest';

import { newOpaqueToken } from './opaque-token.js';
import {
  clearedRefreshCookie,
  readRefreshCookie,
  REFRESH_COOKIE,
  refreshCookie,
} from './refresh-cookie.js';

const NOW = Date.UTC(2026, 0, 1);

describe('the refresh cookie', () => {
  it('is __Host- prefixed, Secure, HttpOnly, SameSite=Strict, Path=/, with Max-Age = remaining lifetime', () => {
    const token = newOpaqueToken();
    const header = refreshCookie(token, NOW + 30 * 86_400_000, NOW);

    expect(header).toBe(
      `${REFRESH_COOKIE}=${token}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
    expect(REFRESH_COOKIE.startsWith('__Host-')).toBe(true);
    expect(header).not.toMatch(/Domain=/i);
  });

  it('is cleared with the same attributes and Max-Age=0', () => {
    expect(clearedRefreshCookie()).toBe(
      `${REFRESH_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict`,
    );
  });

  it('is read from the Cookie header among others', () => {
    const token = newOpaqueToken();
    const request = new Request('http://api.test/', {
      headers: { cookie: `theme=dark; ${REFRESH_COOKIE}=${token}; other=1` },
    });
    expect(readRefreshCookie(request)).toBe(token);
  });

  it.each([
    ['no Cookie header', undefined],
    ['another cookie only', 'sid=abc'],
    ['a value of the wrong shape', `${REFRESH_COOKIE}=short`],
    ['a percent-encoded value', `${REFRESH_COOKIE}=${'%41'.repeat(43)}`],
    ['the unprefixed name', `gatehouse-refresh=${'A'.repeat(43)}`],
  ])('reads nothing from %s', (_name, cookie) => {
    const request = new Request('http://api.test/', cookie ? { headers: { cookie } } : {});
    expect(readRefreshCookie(request)).toBeUndefined();
  });
});
