'use client';

/**
 * The browser side of a session: the access token lives in memory only (never in storage a
 * script injected later could read), and the refresh token in its httpOnly cookie, which the
 * browser sends to the refresh endpoint by itself.
 */

export interface TokenAnswer {
  readonly access_token: string;
  readonly expires_in: number;
}

/** Gets a fresh access token from the refresh cookie; `undefined` when there is no session. */
export async function resumeSession(): Promise<string | undefined> {
  const response = await fetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' });
  if (!response.ok) return undefined;
  return ((await response.json()) as TokenAnswer).access_token;
}
