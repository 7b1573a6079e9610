/**
 * Inclusion and consistency proofs, generated as RFC 6962 §2.1.1 and §2.1.2 define PATH and PROOF.
 *
 * Every hash a proof carries is the root of a range of leaves. The generators below ask for those
 * roots through a `RangeRoots` function, so the same code serves a list of leaf hashes held in
 * memory (`inclusionProof`, `consistencyProof`: O(n) hashes per proof) and a store that keeps the
 * roots of perfect subtrees (`inclusionProofFrom`, `consistencyProofFrom`: O(log n) node reads
 * and hashes per proof, because at most one hash of a proof covers an incomplete subtree).
 * @module
 */
import { AuditLogError } from './errors.js';
import { isHash, nodeHash } from './hash.js';
import { isTreeSize, largestPowerOfTwoBelow, subtreeRoot } from './tree.js';

/**
 * Reads the root of a perfect subtree: the `2^level` leaves starting at leaf `index × 2^level`.
 * Level 0 is the leaf hashes themselves.
 */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** MTH(D[start:end]) for a non-empty range that the RFC 6962 recursion produces. */
type RangeRoots = (start: number, end: number) => Uint8Array;

/**
 * The inclusion proof of leaf `index` in the tree of the first `size` leaf hashes (RFC 6962
 * PATH), ordered from the leaf up. O(size) hashes.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` unless `index < size ≤ leafHashes.length`
 *   and every leaf hash is 32 bytes.
 * @example
 * const proof = inclusionProof(leaves, 3, leaves.length);
 * verifyInclusion(leaves[3], 3, leaves.length, proof, rootOf(leaves)); // true
 */
export function inclusionProof(
  leafHashes: readonly Uint8Array[],
  index: number,
  size: number = leafHashes.length,
): Uint8Array[] {
  checkInclusion(index, size);
  return path(fromLeafHashes(leafHashes, size), index, 0, size);
}

/**
 * The consistency proof between the trees of the first `oldSize` and `newSize` leaf hashes
 * (RFC 6962 PROOF). Empty when `oldSize` is 0 or equals `newSize`. O(newSize) hashes.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` unless `oldSize ≤ newSize ≤ leafHashes.length`
 *   and every leaf hash is 32 bytes.
 */
export function consistencyProof(
  leafHashes: readonly Uint8Array[],
  oldSize: number,
  newSize: number = leafHashes.length,
): Uint8Array[] {
  checkConsistency(oldSize, newSize);
  return consistencyPath(fromLeafHashes(leafHashes, newSize), oldSize, newSize);
}

/**
 * `inclusionProof` over a store of perfect subtree roots. O(log size) reads and hashes.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` unless `index < size`, or when `read`
 *   returns something other than a 32-byte hash. Errors `read` throws pass through.
 */
export function inclusionProofFrom(read: NodeReader, index: number, size: number): Uint8Array[] {
  checkInclusion(index, size);
  return path(fromNodes(read), index, 0, size);
}

/**
 * `consistencyProof` over a store of perfect subtree roots. O(log newSize) reads and hashes.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` unless `oldSize ≤ newSize`, or when `read`
 *   returns something other than a 32-byte hash. Errors `read` throws pass through.
 */
export function consistencyProofFrom(
  read: NodeReader,
  oldSize: number,
  newSize: number,
): Uint8Array[] {
  checkConsistency(oldSize, newSize);
  return consistencyPath(fromNodes(read), oldSize, newSize);
}

/** PATH(m, D[start:end]), leaf first. */
function path(roots: RangeRoots, m: number, start: number, end: number): Uint8Array[] {
  const count = end - start;
  if (count <= 1) return [];

  const k = largestPowerOfTwoBelow(count);
  if (m < k) return [...path(roots, m, start, start + k), roots(start + k, end)];
  return [...path(roots, m - k, start + k, end), roots(start, start + k)];
}

function consistencyPath(roots: RangeRoots, oldSize: number, newSize: number): Uint8Array[] {
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproof(roots, oldSize, 0, newSize, true);
}

/** SUBPROOF(m, D[start:end], b). */
function subproof(
  roots: RangeRoots,
  m: number,
  start: number,
  end: number,
  whole: boolean,
): Uint8Array[] {
  const count = end - start;
  if (m === count) return whole ? [] : [roots(start, end)];

  const k = largestPowerOfTwoBelow(count);
  if (m <= k) return [...subproof(roots, m, start, start + k, whole), roots(start + k, end)];
  return [...subproof(roots, m - k, start + k, end, false), roots(start, start + k)];
}

function fromLeafHashes(leafHashes: readonly Uint8Array[], size: number): RangeRoots {
  if (size > leafHashes.length) invalid('the tree size exceeds the leaf hashes given');
  for (let i = 0; i < size; i++) {
    if (!isHash(leafHashes[i])) invalid(`leaf hash ${i} is not a 32-byte hash`);
  }
  return (start, end) => subtreeRoot(leafHashes, start, end);
}

/**
 * Ranges from the recursion start at a multiple of a power of two at least as large as the range,
 * so greedily taking the largest aligned perfect subtree splits them exactly as MTH does.
 */
function fromNodes(read: NodeReader): RangeRoots {
  return (start, end) => {
    const parts: Uint8Array[] = [];
    for (let at = start; at < end;) {
      let width = 1;
      while (at % (width * 2) === 0 && at + width * 2 <= end) width *= 2;
      const node = read(Math.log2(width), at / width);
      if (!isHash(node)) invalid('the node store returned something other than a 32-byte hash');
      parts.push(node.slice());
      at += width;
    }

    let root = parts.pop() as Uint8Array;
    while (parts.length > 0) root = nodeHash(parts.pop() as Uint8Array, root);
    return root;
  };
}

function checkInclusion(index: number, size: number): void {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) {
    invalid('the leaf index must be a non-negative integer below the tree size');
  }
}

function checkConsistency(oldSize: number, newSize: number): void {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) {
    invalid('the sizes must be non-negative integers with oldSize ≤ newSize');
  }
}

function invalid(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_TREE_INVALID', `Invalid proof request: ${rule}.`);
}
