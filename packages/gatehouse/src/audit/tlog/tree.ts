/**
 * Merkle tree heads (RFC 6962 §2.1, RFC 9162 §2.1.1): the root of a whole list of leaf hashes, and
 * an appender that keeps only the roots of the perfect subtrees covering the log so far (its
 * "compact range"), so that each append and each root costs O(log n) hashes.
 * @module
 */
import { AuditLogError } from './errors.js';
import { emptyRoot, isHash, nodeHash } from './hash.js';

/**
 * The Merkle tree hash (MTH) of `leafHashes`, following RFC 6962's recursive definition: O(n)
 * hashes. The empty list has the root of the empty tree.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` when a leaf hash is not 32 bytes.
 * @example
 * rootOf([leafHash(entry)]); // the leaf hash itself
 */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  leafHashes.forEach((hash, i) => requireHash(hash, `leaf hash ${i}`));
  if (leafHashes.length === 0) return emptyRoot();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/**
 * MTH(D[start:end]) for a non-empty range of `leafHashes`; the caller has checked the hashes.
 * Recursion depth is the tree height, so at most 53.
 */
export function subtreeRoot(
  leafHashes: readonly Uint8Array[],
  start: number,
  end: number,
): Uint8Array {
  const count = end - start;
  if (count === 1) return (leafHashes[start] as Uint8Array).slice();

  const split = start + largestPowerOfTwoBelow(count);
  return nodeHash(subtreeRoot(leafHashes, start, split), subtreeRoot(leafHashes, split, end));
}

/** The largest power of two strictly below `n`, for `n ≥ 2`: where RFC 6962 splits a tree. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** What a `TreeBuilder` needs to resume: the size and its perfect subtree roots. */
export interface TreeBuilderState {
  readonly size: number;
  /**
   * The roots of the perfect subtrees that cover leaves `[0, size)`, largest (leftmost) first:
   * one per set bit of `size`.
   */
  readonly nodes: readonly Uint8Array[];
}

/**
 * Told of each perfect subtree root an append completes: the leaf itself at level 0, then each
 * larger subtree it closes. `index` counts subtrees of `2^level` leaves from the left, as
 * `NodeReader` does, so a store can keep every node a proof may ask for.
 */
export type NodeListener = (level: number, index: number, hash: Uint8Array) => void;

/** An append-only Merkle tree that keeps O(log n) hashes. */
export interface TreeBuilder {
  /**
   * Adds one leaf hash and returns its index; `onNode` hears of every subtree root it completes.
   * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` when the hash is not 32 bytes.
   */
  append(leafHash: Uint8Array, onNode?: NodeListener): number;
  /** Leaves appended so far. */
  readonly size: number;
  /** The tree head at the current size; equal to `rootOf` over every leaf appended. */
  root(): Uint8Array;
  /** A copy of the state, to persist and later pass to `createTreeBuilder`. */
  state(): TreeBuilderState;
}

/**
 * Creates an appender, empty or resumed from a saved `state`.
 * @throws {AuditLogError} `ERR_AUDIT_TREE_INVALID` when `state` does not describe a tree.
 * @example
 * const tree = createTreeBuilder();
 * tree.append(leafHash(canonicalBytes(entry)));
 * tree.root();
 */
export function createTreeBuilder(state?: TreeBuilderState): TreeBuilder {
  let size = 0;
  const nodes: Uint8Array[] = [];

  if (state !== undefined) {
    if (!isTreeSize(state.size)) invalid('the saved tree size is not a non-negative safe integer');
    if (state.nodes.length !== countSetBits(state.size)) {
      invalid('the saved subtree roots do not match the tree size');
    }
    state.nodes.forEach((hash, i) => nodes.push(requireHash(hash, `saved subtree root ${i}`)));
    size = state.size;
  }

  return {
    append(leafHash, onNode) {
      let hash = requireHash(leafHash, 'the leaf hash');
      if (size === Number.MAX_SAFE_INTEGER) invalid('the tree is full');
      onNode?.(0, size, hash.slice());

      // Each trailing set bit of `size` is a perfect subtree the new leaf's subtree now completes.
      let level = 0;
      for (let rest = size; rest % 2 === 1; rest = (rest - 1) / 2) {
        hash = nodeHash(nodes.pop() as Uint8Array, hash);
        level++;
        onNode?.(level, (rest - 1) / 2, hash.slice());
      }
      nodes.push(hash);
      return size++;
    },
    get size() {
      return size;
    },
    root() {
      if (nodes.length === 0) return emptyRoot();

      let root: Uint8Array = (nodes[nodes.length - 1] as Uint8Array).slice();
      for (let i = nodes.length - 2; i >= 0; i--) root = nodeHash(nodes[i] as Uint8Array, root);
      return root;
    },
    state() {
      return { size, nodes: nodes.map((hash) => hash.slice()) };
    },
  };
}

/** Whether `value` can be a tree size or leaf index: a non-negative safe integer. */
export function isTreeSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function countSetBits(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

function requireHash(value: unknown, what: string): Uint8Array {
  if (!isHash(value)) invalid(`${what} is not a 32-byte hash`);
  return value.slice();
}

function invalid(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_TREE_INVALID', `Invalid Merkle tree input: ${rule}.`);
}
