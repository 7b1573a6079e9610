import { clearedRefreshCookie, refreshCookie, type Grant } from 'gatehouse/auth';

/**
 * The token response of login and refresh (RFC 6749 §5.1 shape): the access token in the body,
 * the refresh token in its cookie, and `Cache-Control: no-store` so no cache keeps either.
 */
export function grantResponse(grant: Grant): Response {
  const response = Response.json(
    { access_token: grant.accessToken, token_type: 'Bearer', expires_in: grant.expiresIn },
    { headers: { 'cache-control': 'no-store' } },
  );
  response.headers.append(
    'set-cookie',
    refreshCookie(grant.refresh.token, grant.refresh.expiresAt),
  );
  return response;
}

/** Adds the header that removes the refresh cookie, and marks the response uncacheable. */
export function withClearedRefreshCookie(response: Response): Response {
  response.headers.append('set-cookie', clearedRefreshCookie());
  response.headers.set('cache-control', 'no-store');
  return response;
}
