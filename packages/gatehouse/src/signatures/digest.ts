/**
 * RFC 9530 `Content-Digest`: the digest of the bytes of a message's content, so a signature that
 * covers the field covers the body.
 * @module
 */
import { arrayBufferToBase64, parseDictionary, serializeDictionary } from 'structured-headers';

/** The digest algorithms accepted, both "standard" in the RFC 9530 registry (§5). */
export type DigestAlgorithm = 'sha-256' | 'sha-512';

/** Why a `Content-Digest` field was refused. */
export type ContentDigestProblem =
  /** Absent, empty, or not a Structured Fields Dictionary of Byte Sequences. */
  | 'malformed'
  /** Names an algorithm other than `sha-256` or `sha-512` (such as `md5` or `sha`). */
  | 'unsupported'
  /** A digest differs from the digest of the bytes received. */
  | 'mismatch';

/** The outcome of {@link verifyContentDigest}. */
export type ContentDigestVerdict =
  | { readonly ok: true; readonly algorithms: readonly DigestAlgorithm[] }
  | { readonly ok: false; readonly problem: ContentDigestProblem };

const HASHES: Readonly<Record<DigestAlgorithm, string>> = {
  'sha-256': 'SHA-256',
  'sha-512': 'SHA-512',
};

const isDigestAlgorithm = (name: string): name is DigestAlgorithm => Object.hasOwn(HASHES, name);

/** `bytes` as Web Crypto takes them: a view of a shared buffer is copied, any other is not. */
const unshared = (bytes: Uint8Array): Uint8Array<ArrayBuffer> =>
  bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);

/**
 * The `Content-Digest` field value for `bytes` (RFC 9530 §2), one algorithm.
 *
 * @example
 * await contentDigest(new TextEncoder().encode('{"hello": "world"}'));
 * // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 */
export async function contentDigest(
  bytes: Uint8Array,
  algorithm: DigestAlgorithm = 'sha-256',
): Promise<string> {
  if (!isDigestAlgorithm(algorithm)) {
    throw new TypeError('The content digest algorithm must be sha-256 or sha-512');
  }
  const digest = await crypto.subtle.digest(HASHES[algorithm], unshared(bytes));
  return serializeDictionary(new Map([[algorithm, [digest, new Map()]]]));
}

/**
 * Checks a received `Content-Digest` field against the bytes actually received. Every member must
 * be `sha-256` or `sha-512` and every one must match: a field naming any other algorithm is refused
 * whole rather than checked in part, and one mismatching digest refuses the field even when
 * another matches. Never throws.
 *
 * @example
 * const verdict = await verifyContentDigest(request.headers.get('content-digest'), body);
 * if (!verdict.ok) return refuse(verdict.problem);
 */
export async function verifyContentDigest(
  header: string | null | undefined,
  bytes: Uint8Array,
): Promise<ContentDigestVerdict> {
  if (header === null || header === undefined) return { ok: false, problem: 'malformed' };

  let members;
  try {
    members = parseDictionary(header);
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (members.size === 0) return { ok: false, problem: 'malformed' };

  const claims: [DigestAlgorithm, ArrayBuffer][] = [];
  for (const [name, member] of members) {
    if (!isDigestAlgorithm(name)) return { ok: false, problem: 'unsupported' };
    const value = member[0];
    if (!(value instanceof ArrayBuffer)) return { ok: false, problem: 'malformed' };
    claims.push([name, value]);
  }

  for (const [algorithm, claimed] of claims) {
    const actual = await crypto.subtle.digest(HASHES[algorithm], unshared(bytes));
    // The digest of a body the sender chose is no secret, so a plain comparison is enough.
    if (arrayBufferToBase64(actual) !== arrayBufferToBase64(claimed)) {
      return { ok: false, problem: 'mismatch' };
    }
  }
  return { ok: true, algorithms: claims.map(([algorithm]) => algorithm) };
}
