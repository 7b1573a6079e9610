import { base64url } from 'jose';

/** Single-use tokens for password reset links: 256 random bits, stored only as SHA-256. */

/** A new token: 32 random bytes, base64url (43 characters). */
export function randomToken(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}

/** The stored form of a token. A fast hash fits: the token has 256 bits of entropy. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return base64url.encode(new Uint8Array(digest));
}
