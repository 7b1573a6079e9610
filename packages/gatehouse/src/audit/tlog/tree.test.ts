import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AuditLogError } from './errors.js';
import { emptyRoot, leafHash, nodeHash } from './hash.js';
import { createTreeBuilder, rootOf } from './tree.js';
import { LEAVES, ROOTS, hex, unhex } from './test/vectors.js';

const leafHashes = LEAVES.map(leafHash);

describe('the leaf and node hashes', () => {
  it('prefix leaves with 0x00 and nodes with 0x01 (RFC 6962 §2.1)', () => {
    // SHA-256 of the single byte 0x00, the hash of the empty leaf.
    expect(hex(leafHash(new Uint8Array()))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(nodeHash(leafHashes[0]!, leafHashes[1]!)).toEqual(rootOf(leafHashes.slice(0, 2)));
  });

  it('gives the empty tree the hash of the empty string', () => {
    expect(hex(emptyRoot())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(rootOf([])).toEqual(emptyRoot());
  });
});

describe('rootOf', () => {
  it('matches the published roots of the 8-leaf tree at every size', () => {
    for (let size = 1; size <= 8; size++) {
      expect(hex(rootOf(leafHashes.slice(0, size))), `size ${size}`).toBe(ROOTS[size - 1]);
    }
  });

  it('refuses a leaf hash that is not 32 bytes', () => {
    expect(() => rootOf([new Uint8Array(31)])).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_TREE_INVALID' }),
    );
  });
});

describe('the tree builder', () => {
  it('agrees with the published roots after every append', () => {
    const tree = createTreeBuilder();
    expect(tree.root()).toEqual(emptyRoot());

    leafHashes.forEach((hash, i) => {
      expect(tree.append(hash)).toBe(i);
      expect(tree.size).toBe(i + 1);
      expect(hex(tree.root())).toBe(ROOTS[i]);
    });
  });

  it('agrees with rootOf for every size of random trees', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 140 }),
        (hashes) => {
          const tree = createTreeBuilder();
          for (let i = 0; i < hashes.length; i++) {
            tree.append(hashes[i]!);
            expect(tree.root()).toEqual(rootOf(hashes.slice(0, i + 1)));
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('keeps one subtree root per set bit of the size', () => {
    const tree = createTreeBuilder();
    for (let i = 0; i < 1_000; i++) tree.append(leafHash(Uint8Array.of(i % 256, i >> 8)));
    // 1000 = 0b1111101000: six perfect subtrees.
    expect(tree.state().nodes).toHaveLength(6);
  });

  it('resumes from a saved state and goes on agreeing with rootOf', () => {
    const first = createTreeBuilder();
    leafHashes.slice(0, 5).forEach((hash) => first.append(hash));

    const resumed = createTreeBuilder(first.state());
    leafHashes.slice(5).forEach((hash) => resumed.append(hash));
    expect(hex(resumed.root())).toBe(ROOTS[7]);
    expect(first.size).toBe(5);
  });

  it('refuses a saved state whose subtree roots do not fit its size', () => {
    const nodes = [leafHashes[0]!, leafHashes[1]!];
    for (const state of [
      { size: 3, nodes: [nodes[0]!] },
      { size: 2, nodes },
      { size: -1, nodes: [] },
      { size: 1.5, nodes: [] },
      { size: 1, nodes: [new Uint8Array(16)] },
    ]) {
      expect(() => createTreeBuilder(state)).toThrow(AuditLogError);
    }
  });

  it('refuses to append something that is not a 32-byte hash', () => {
    const tree = createTreeBuilder();
    expect(() => tree.append(unhex('00'))).toThrow(
      expect.objectContaining({ code: 'ERR_AUDIT_TREE_INVALID' }),
    );
    expect(tree.size).toBe(0);
  });

  it('is not affected by later changes to an appended hash', () => {
    const hash = leafHashes[0]!.slice();
    const tree = createTreeBuilder();
    tree.append(hash);
    hash.fill(0);
    expect(hex(tree.root())).toBe(ROOTS[0]);
  });
});
