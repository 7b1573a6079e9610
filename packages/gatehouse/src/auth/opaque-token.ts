import { base64url } from 'jose';

/**
 * Opaque secret tokens (refresh tokens, password reset tokens): 256 random bits, handed out as
 * base64url and stored only as a hash.
 * @module
 */

const TOKEN_BYTES = 32;
// 32 bytes are 43 unpadded base64url characters; the last one carries 4 bits and two zero bits.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A fresh token: 256 random bits, base64url without padding. */
export function newOpaqueToken(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
}

/** Whether text has the exact shape of an issued token; anything else is refused early. */
export function isOpaqueToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/**
 * The stored form of a token: SHA-256 of its 32 bytes, base64url. A fast hash is enough because the input is 256
 * random bits, far beyond any guessing; a slow password hash would only cost every refresh.
 */
export async function hashOpaqueToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(base64url.decode(token)));
  return base64url.encode(new Uint8Array(digest));
}
