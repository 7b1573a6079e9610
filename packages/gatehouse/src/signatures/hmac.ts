/**
 * The `hmac-sha256` algorithm of RFC 9421 §3.3.3 over Web Crypto, with imported keys kept per
 * secret so a verifier does not import the same key on every request.
 * @module
 */

/** The one algorithm this module signs and verifies with. */
export const HMAC_SHA256 = 'hmac-sha256';

/**
 * Shortest secret accepted, in bytes: the output size of SHA-256, below which HMAC's strength is
 * that of the key rather than of the hash (RFC 2104 §3).
 */
export const MIN_SECRET_BYTES = 32;

/** A Web Crypto key, named without the DOM or Node type that spells it. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

// Keyed on the secret's array, so a resolver returning the same arrays reuses their CryptoKeys.
const imported = new WeakMap<Uint8Array, Promise<HmacKey>>();

function importSecret(secret: Uint8Array): Promise<HmacKey> {
  let key = imported.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey(
      'raw',
      new Uint8Array(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    imported.set(secret, key);
  }
  return key;
}

/** The HMAC-SHA256 of the signature base under `secret`. */
export async function hmacSign(secret: Uint8Array, base: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await importSecret(secret);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(base)));
}

/**
 * Whether `signature` is the HMAC-SHA256 of the base under one of `secrets`. Each comparison is
 * `crypto.subtle.verify`, which compares in constant time.
 */
export async function hmacVerify(
  secrets: readonly Uint8Array[],
  base: string,
  signature: Uint8Array,
): Promise<boolean> {
  const data = new TextEncoder().encode(base);
  for (const secret of secrets) {
    const key = await importSecret(secret);
    if (await crypto.subtle.verify('HMAC', key, new Uint8Array(signature), data)) return true;
  }
  return false;
}
