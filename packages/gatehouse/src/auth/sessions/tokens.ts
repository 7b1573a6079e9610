/**
 * Refresh-token primitives: generation, the stored hash, and the sealed successor.
 * @module
 */
import { base64url } from 'jose';

const IV_BYTES = 12;
const SUCCESSOR_INFO = new TextEncoder().encode('gatehouse refresh successor');

export { hashOpaqueToken, isOpaqueToken, newOpaqueToken } from '../opaque-token.js';

/**
 * Seals the successor under a key derived from the token it replaces, so a repeat of the old token
 * within the grace window can recover it, while the store alone (or a copy of it) cannot. The
 * family id is bound as associated data, so a sealed value moved to another family fails to open.
 * Returns base64url(iv || ciphertext).
 */
export async function sealSuccessor(
  successor: string,
  oldToken: string,
  familyId: string,
): Promise<string> {
  const key = await successorKey(oldToken);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(familyId) },
    key,
    bytesOf(successor),
  );

  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return base64url.encode(out);
}

/** Opens a sealed successor with the token it replaced; undefined when it does not open. */
export async function openSuccessor(
  sealed: string,
  oldToken: string,
  familyId: string,
): Promise<string | undefined> {
  try {
    const bytes = bytesOf(sealed);
    const key = await successorKey(oldToken);
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.subarray(0, IV_BYTES),
        additionalData: new TextEncoder().encode(familyId),
      },
      key,
      bytes.subarray(IV_BYTES),
    );
    return base64url.encode(new Uint8Array(plain));
  } catch {
    // A wrong key, a tampered value and malformed base64url all mean the same: not openable.
    return undefined;
  }
}

// HKDF (RFC 5869) with an empty salt: the input is already uniformly random, so the salt adds
// nothing, and the info string keeps this key apart from any other use of the token's bytes.
async function successorKey(token: string) {
  const ikm = await crypto.subtle.importKey('raw', bytesOf(token), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: SUCCESSOR_INFO },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

// A copy on its own ArrayBuffer: the type WebCrypto's BufferSource asks for under the DOM library.
function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(base64url.decode(text));
}
