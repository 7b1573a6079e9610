/**
 * The two hashes of an RFC 6962 Merkle tree, with SHA-256 from `node:crypto`. The one-byte prefixes
 * keep a leaf from ever hashing like an interior node (RFC 6962 §2.1, RFC 9162 §2.1.1).
 * @module
 */
import { createHash } from 'node:crypto';

/** Bytes in every hash of the tree. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/**
 * The root of the empty tree: SHA-256 of no bytes (RFC 6962 §2.1).
 * @example
 * Buffer.from(emptyRoot()).toString('hex'); // 'e3b0c442…b855'
 */
export function emptyRoot(): Uint8Array {
  return digest(createHash('sha256'));
}

/** The hash of one log entry: SHA-256(0x00 ‖ entry). */
export function leafHash(entry: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(LEAF_PREFIX).update(entry));
}

/** The hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return digest(createHash('sha256').update(NODE_PREFIX).update(left).update(right));
}

/** Whether two hashes hold the same bytes. Tree hashes are public, so no constant-time compare. */
export function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/** Whether `value` is a byte array of `HASH_SIZE` bytes; safe on any input. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function digest(hash: ReturnType<typeof createHash>): Uint8Array {
  // A plain Uint8Array rather than the Buffer node returns, so results compare with `toEqual`.
  return new Uint8Array(hash.digest());
}
