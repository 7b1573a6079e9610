/**
 * HTTP Strict Transport Security (RFC 6797), sent only where a browser will honour it.
 * @module
 */
import type { HeaderList } from './profiles.js';

/** Two years, the duration the HSTS preload list asks for. */
export const HSTS_MAX_AGE = 63_072_000;

/** Options of `hstsFor`. */
export interface HstsOptions {
  /** Whether this request reached the app over HTTPS (`new URL(request.url).protocol`). */
  readonly https: boolean;
  /**
   * Whether the app is deployed behind a proxy that terminates TLS and forwards plain HTTP, so
   * every client connection was HTTPS even though the app's was not. Configuration, never a
   * request header: `X-Forwarded-Proto` can be sent by anyone.
   * @default false
   */
  readonly behindTlsProxy?: boolean;
  /**
   * Adds `preload`, a request to be listed in browsers' built-in HSTS lists. Hard to undo: every
   * subdomain must serve HTTPS for as long as the listing lasts.
   * @default false
   */
  readonly preload?: boolean;
}

/**
 * `Strict-Transport-Security: max-age=63072000; includeSubDomains` (and `; preload` when asked)
 * for a request that came over HTTPS or through a TLS-terminating proxy, and nothing otherwise:
 * over plain HTTP anyone on the path could add or remove the header, so browsers ignore it there
 * (RFC 6797 §8.1), and a deployment that serves no HTTPS must not promise it.
 *
 * @example
 * applyHeaders(response.headers, hstsFor({ https: new URL(request.url).protocol === 'https:' }));
 */
export function hstsFor(options: HstsOptions): HeaderList {
  if (options.https !== true && options.behindTlsProxy !== true) return [];
  const preload = options.preload === true ? '; preload' : '';
  return [['Strict-Transport-Security', `max-age=${HSTS_MAX_AGE}; includeSubDomains${preload}`]];
}
