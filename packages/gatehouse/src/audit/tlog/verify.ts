/**
 * Proof verification as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) specify it.
 *
 * Both verifiers answer with a boolean and never throw: a proof arrives from whoever serves the
 * log, so a malformed one (hashes of the wrong length, too many or too few hashes, an index past
 * the tree, sizes out of order, values of the wrong type) is simply a proof that does not verify.
 * Sizes are plain numbers up to `Number.MAX_SAFE_INTEGER`; the RFC's bit shifts are written as
 * halving, since JavaScript's bitwise operators stop at 32 bits.
 * @module
 */
import { emptyRoot, equalHashes, isHash, nodeHash } from './hash.js';
import { isTreeSize } from './tree.js';

/**
 * Whether `proof` shows that `leafHash` is leaf `index` of the tree of `size` leaves with head
 * `root`. A proof must have exactly the hashes the tree shape calls for.
 * @example
 * verifyInclusion(leafHash(entry), 5, checkpoint.size, proof, checkpoint.root);
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !isHashList(proof)) return false;
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) return false;

  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;

    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }

  return sn === 0 && equalHashes(r, root);
}

/**
 * Whether `proof` shows that the tree of `newSize` leaves with head `newRoot` extends the tree of
 * `oldSize` leaves with head `oldRoot`. Equal sizes need equal roots and an empty proof; an old
 * size of 0 needs the empty tree's root and an empty proof.
 * @example
 * verifyConsistency(seen.size, latest.size, seen.root, latest.root, proof);
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !isHashList(proof)) return false;
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) return false;

  if (oldSize === newSize) return proof.length === 0 && equalHashes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && equalHashes(oldRoot, emptyRoot());
  if (proof.length === 0) return false;

  // When the old tree is a perfect subtree of the new one, its root is the proof's first hash.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }

  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;

    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }

  return sn === 0 && equalHashes(fr, oldRoot) && equalHashes(sr, newRoot);
}

function isHashList(value: unknown): value is readonly Uint8Array[] {
  if (!Array.isArray(value)) return false;
  // An index loop, not `every`, so that holes in a sparse array are caught too.
  for (let i = 0; i < value.length; i++) {
    if (!isHash(value[i])) return false;
  }
  return true;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let rest = n;
  while (rest % 2 === 0) rest /= 2;
  return rest === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}
