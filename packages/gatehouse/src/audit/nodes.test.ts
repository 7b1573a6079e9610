import { describe, expect, it } from 'vitest';

import { compactRange, consistencyProofAt, inclusionProofAt, rootAt } from './nodes.js';
import type { NodeKey } from './store.js';
import {
  consistencyProof,
  createTreeBuilder,
  inclusionProof,
  leafHash,
  rootOf,
} from './tlog/index.js';

const leaves = Array.from({ length: 37 }, (_, i) =>
  leafHash(new TextEncoder().encode(`leaf ${i}`)),
);

/** Every node the builder's hook reports, as a store would keep them. */
function storedNodes() {
  const nodes = new Map<string, Uint8Array>();
  const tree = createTreeBuilder();
  for (const leaf of leaves)
    tree.append(leaf, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
  return async (keys: readonly NodeKey[]) =>
    keys.map(({ level, index }) => nodes.get(`${level}/${index}`) as Uint8Array);
}

describe('nodes reported by the tree builder', () => {
  it('are the roots of the perfect subtrees they name', async () => {
    const nodes = new Map<string, Uint8Array>();
    const tree = createTreeBuilder();
    for (const leaf of leaves) tree.append(leaf, (l, i, hash) => nodes.set(`${l}/${i}`, hash));
    expect(nodes.size).toBe(37 + 18 + 9 + 4 + 2 + 1);
    expect(nodes.get('2/3')).toEqual(rootOf(leaves.slice(12, 16)));
    expect(nodes.get('5/0')).toEqual(rootOf(leaves.slice(0, 32)));
  });

  it('give every root, inclusion and consistency proof the leaf hashes give', async () => {
    const read = storedNodes();
    expect(compactRange(37)).toEqual([
      { level: 5, index: 0 },
      { level: 2, index: 8 },
      { level: 0, index: 36 },
    ]);
    for (const size of [0, 1, 2, 7, 16, 37]) {
      expect(await rootAt(read, size)).toEqual(rootOf(leaves.slice(0, size)));
    }
    for (const [index, size] of [
      [0, 1],
      [5, 13],
      [36, 37],
      [16, 32],
    ] as const) {
      expect(await inclusionProofAt(read, index, size)).toEqual(
        inclusionProof(leaves, index, size),
      );
    }
    for (const [oldSize, newSize] of [
      [0, 5],
      [3, 3],
      [4, 37],
      [13, 29],
    ] as const) {
      expect(await consistencyProofAt(read, oldSize, newSize)).toEqual(
        consistencyProof(leaves, oldSize, newSize),
      );
    }
  });
});
