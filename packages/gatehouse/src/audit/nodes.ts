/**
 * Tree heads and proofs over stored perfect subtree roots. The tlog generators read nodes
 * synchronously; a store reads them asynchronously, so each proof runs twice: once to learn
 * which O(log n) nodes it needs (the RFC 6962 recursion depends only on sizes, never on hash
 * values), then over those nodes fetched in one read.
 * @module
 */
import type { NodeKey } from './store.js';
import { AuditError } from './errors.js';
import {
  consistencyProofFrom,
  emptyRoot,
  HASH_SIZE,
  inclusionProofFrom,
  nodeHash,
  type NodeReader,
  type TreeBuilderState,
} from './tlog/index.js';

/** Reads perfect subtree roots, in the order asked. */
export type ReadNodes = (keys: readonly NodeKey[]) => Promise<Uint8Array[]>;

/** The perfect subtrees covering leaves `[0, size)`, largest (leftmost) first. */
export function compactRange(size: number): NodeKey[] {
  const keys: NodeKey[] = [];
  let start = 0;
  for (let level = 52; level >= 0; level--) {
    const width = 2 ** level;
    if (size - start >= width) {
      keys.push({ level, index: start / width });
      start += width;
    }
  }
  return keys;
}

/** The tree builder state at `size`, from stored nodes. */
export async function stateAt(read: ReadNodes, size: number): Promise<TreeBuilderState> {
  return { size, nodes: await read(compactRange(size)) };
}

/** The RFC 6962 root of the first `size` leaves, from stored nodes. */
export async function rootAt(read: ReadNodes, size: number): Promise<Uint8Array> {
  const nodes = await read(compactRange(size));
  if (nodes.length === 0) return emptyRoot();

  let root = nodes[nodes.length - 1] as Uint8Array;
  for (let i = nodes.length - 2; i >= 0; i--) root = nodeHash(nodes[i] as Uint8Array, root);
  return root;
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves, from stored nodes. */
export function inclusionProofAt(
  read: ReadNodes,
  index: number,
  size: number,
): Promise<Uint8Array[]> {
  return prefetched(read, (reader) => inclusionProofFrom(reader, index, size));
}

/** The consistency proof from `oldSize` to `newSize`, from stored nodes. */
export function consistencyProofAt(
  read: ReadNodes,
  oldSize: number,
  newSize: number,
): Promise<Uint8Array[]> {
  return prefetched(read, (reader) => consistencyProofFrom(reader, oldSize, newSize));
}

async function prefetched<T>(read: ReadNodes, run: (reader: NodeReader) => T): Promise<T> {
  const wanted = new Map<string, NodeKey>();
  const placeholder = new Uint8Array(HASH_SIZE);
  run((level, index) => {
    wanted.set(`${level}/${index}`, { level, index });
    return placeholder;
  });

  const keys = [...wanted.values()];
  const hashes = await read(keys);
  const found = new Map(keys.map((key, i) => [`${key.level}/${key.index}`, hashes[i]]));
  return run((level, index) => {
    const hash = found.get(`${level}/${index}`);
    if (hash === undefined) {
      throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A tree node the proof needs is missing.');
    }
    return hash;
  });
}
