/**
 * Access for `internal` routes: the request must carry an RFC 9421 signature that the verifier
 * accepts, made with a key of a service the deployment shares a secret with. The body is read
 * (within the route's limit) before anything else so its digest can be checked against the bytes
 * actually received; the handler then gets a request with those same bytes.
 * @module
 */
import type { SignatureVerifier } from '../signatures/verify.js';
import { readBodyWithLimit } from '../validation/body.js';
import type { PipelineContext } from './context.js';

/** How the pipeline checks signed service calls. */
export interface SignedCallOptions {
  readonly verifier: SignatureVerifier;
  /**
   * The public origin callers sign `@target-uri` against (`https://api.example.com`), when the
   * app sees another one behind a proxy. Path and query always come from the request.
   */
  readonly publicOrigin?: string;
}

export type SignedCallDecision =
  | { readonly ok: true; readonly request: Request; readonly keyId: string }
  | { readonly ok: false; readonly response: Response };

/**
 * Verifies a signed call. 401 for any refusal (the reason is logged as a security event, never
 * told to the caller), 413 for a body over the limit, 503 when the key or nonce store cannot
 * answer: a signature is never accepted without its nonce being claimed.
 */
export async function checkSignedCall(
  request: Request,
  ctx: PipelineContext,
  url: URL,
  options: SignedCallOptions,
  bodyLimit: number,
): Promise<SignedCallDecision> {
  const read = await readBodyWithLimit(request, bodyLimit);
  if (!read.ok) {
    return {
      ok: false,
      response:
        read.reason === 'too_large'
          ? ctx.problem('payloadTooLarge', {
              status: 413,
              detail: `The request body is larger than ${bodyLimit} bytes.`,
            })
          : ctx.problem('invalidRequest', { status: 400, detail: 'The body could not be read.' }),
    };
  }

  const targetUri = options.publicOrigin
    ? new URL(`${url.pathname}${url.search}`, options.publicOrigin).href
    : url.href;
  const verdict = await options.verifier.verify(request, { body: read.bytes, targetUri });

  if (!verdict.ok) {
    if (verdict.reason === 'unavailable') {
      ctx.log.error({ event: 'authn_signature_unavailable' }, 'signature check unavailable');
      const response = ctx.problem('unavailable', {
        status: 503,
        detail: 'Signed requests cannot be checked right now; try again shortly.',
      });
      response.headers.set('retry-after', '5');
      return { ok: false, response };
    }
    const event = verdict.reason === 'replayed' ? 'authn_signature_replay' : 'authn_signature_fail';
    ctx.auditReason = `signature-${verdict.reason}`;
    ctx.log.warn({ event, reason: verdict.reason }, 'signed request refused');
    return {
      ok: false,
      response: ctx.problem('unauthorized', {
        status: 401,
        detail: 'This route needs a valid HTTP message signature from a known service.',
      }),
    };
  }

  // The body was read for the digest; the handler gets a request with the same bytes.
  const body = read.bytes.byteLength > 0 ? new Uint8Array(read.bytes) : null;
  const verified = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
  });
  return { ok: true, request: verified, keyId: verdict.keyId };
}
