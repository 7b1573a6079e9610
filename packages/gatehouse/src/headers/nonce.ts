/**
 * Per-request CSP nonces, from the Web Crypto API alone so the module runs on any runtime.
 * @module
 */

const NONCE_BYTES = 16;

/**
 * A fresh nonce: 128 random bits from `crypto.getRandomValues`, in standard base64 (24
 * characters, `==` padded), the form CSP's `'nonce-…'` source and the `nonce` attribute take.
 * Make one per response and never reuse it: a nonce an attacker has seen lets their script run.
 *
 * @example
 * const nonce = createNonce();
 * headers.set('Content-Security-Policy', policy.serialize(nonce));
 */
export function createNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return btoa(String.fromCharCode(...bytes));
}
