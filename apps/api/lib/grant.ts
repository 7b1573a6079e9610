import { clearedRefreshCookie, refreshCookie, type Grant } from 'gatehouse/auth';

/**
 * The token response of login and refresh (RFC 6749 §5.1 shape): the access token in the body,
 * the refresh token in its cookie. The routes that grant are declared `noStore`, so the pipeline
 * marks the answer `Cache-Control: no-store` and no cache keeps either token.
 */
export function grantResponse(grant: Grant): Response {
  const response = Response.json({
    access_token: grant.accessToken,
    token_type: 'Bearer',
    expires_in: grant.expiresIn,
  });
  response.headers.append(
    'set-cookie',
    refreshCookie(grant.refresh.token, grant.refresh.expiresAt),
  );
  return response;
}

/** Adds the header that removes the refresh cookie. */
export function withClearedRefreshCookie(response: Response): Response {
  response.headers.append('set-cookie', clearedRefreshCookie());
  return response;
}
