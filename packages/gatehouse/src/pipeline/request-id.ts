/**
 * Request ids: taken from a trusted proxy's header so one id follows a request through every hop,
 * otherwise generated. A header from an untrusted client is ignored, so nobody can plant ids in
 * the server log.
 */

// Printable, bounded, and free of anything a log viewer or a header could misread.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The response header that carries the request id. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Returns the proxy's id when the peer is a trusted proxy and the id is well formed. */
export function resolveRequestId(headers: Headers, header: string, peerTrusted: boolean): string {
  if (peerTrusted) {
    const offered = headers.get(header);
    if (offered !== null && ACCEPTABLE_ID.test(offered)) return offered;
  }
  return crypto.randomUUID();
}
