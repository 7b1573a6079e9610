/**
 * Refusing cross-site requests to endpoints that act on cookies. Fetch Metadata
 * (`Sec-Fetch-Site`, W3C Fetch Metadata Request Headers) is checked first, then the `Origin`
 * header against the configured origins, compared exactly.
 * @module
 */

/** Which requests a cookie-bearing endpoint accepts. */
export interface CrossSitePolicy {
  /** Origins allowed to call, such as the deployment's public URL. Compared exactly. */
  readonly origins: readonly string[];
  /**
   * Accept requests that carry neither `Sec-Fetch-Site` nor `Origin` (curl, mobile apps). Such
   * requests cannot come from a browser, which always sends `Origin` on a POST.
   * @default false
   */
  readonly allowNonBrowserClients?: boolean;
}

export type CrossSiteVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'cross-site' | 'origin' | 'no-origin' };

/** Decides whether a request may act on the caller's cookies. */
export function checkCrossSite(request: Request, policy: CrossSitePolicy): CrossSiteVerdict {
  const site = request.headers.get('sec-fetch-site');
  if (site === 'cross-site') return { ok: false, reason: 'cross-site' };

  const origin = request.headers.get('origin');
  if (origin !== null) {
    // `null` (opaque origins: sandboxed frames, data: URLs) never matches a configured origin.
    return policy.origins.includes(origin) ? { ok: true } : { ok: false, reason: 'origin' };
  }

  if (site === 'same-origin') return { ok: true };
  if (site === null && policy.allowNonBrowserClients === true) return { ok: true };
  return { ok: false, reason: 'no-origin' };
}
