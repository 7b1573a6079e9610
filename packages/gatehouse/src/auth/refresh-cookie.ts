import { parseCookie, stringifySetCookie } from 'cookie';

import { isOpaqueToken } from './opaque-token.js';

/**
 * The refresh-token cookie. The `__Host-` prefix makes browsers refuse it unless it is `Secure`,
 * has `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2), so no subdomain can set or shadow it.
 * `HttpOnly` keeps it from scripts and `SameSite=Strict` from cross-site requests.
 * @module
 */

/** The cookie's name. */
export const REFRESH_COOKIE = '__Host-gatehouse-refresh';

const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

/**
 * A `Set-Cookie` value carrying a refresh token until the family's absolute expiry.
 *
 * @example response.headers.append('set-cookie', refreshCookie(token, expiresAt));
 */
export function refreshCookie(token: string, expiresAt: number, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return stringifySetCookie(REFRESH_COOKIE, token, { ...ATTRIBUTES, maxAge });
}

/** A `Set-Cookie` value that removes the refresh cookie: the same attributes and `Max-Age=0`. */
export function clearedRefreshCookie(): string {
  return stringifySetCookie(REFRESH_COOKIE, '', { ...ATTRIBUTES, maxAge: 0 });
}

/** The refresh token from a request's cookies, or `undefined` when absent or malformed. */
export function readRefreshCookie(request: Request): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;

  const value = parseCookie(header, { decode: (raw) => raw })[REFRESH_COOKIE];
  // Anything not shaped like an issued token is not worth a store lookup.
  return value !== undefined && isOpaqueToken(value) ? value : undefined;
}
