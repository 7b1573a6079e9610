import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { emptyRoot, leafHash } from './hash.js';
import {
  consistencyProof,
  consistencyProofFrom,
  inclusionProof,
  inclusionProofFrom,
  type NodeReader,
} from './proof.js';
import { CONSISTENCY_PROOFS, INCLUSION_PROOFS, LEAVES, ROOTS, hex, unhex } from './test/vectors.js';
import { rootOf } from './tree.js';
import { verifyConsistency, verifyInclusion } from './verify.js';

const leaves = LEAVES.map(leafHash);
const root = (size: number) => (size === 0 ? emptyRoot() : unhex(ROOTS[size - 1]!));
const SOME_HASH = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');

/** A node store over the leaves, counting its reads. */
function nodeStore(leafHashes: readonly Uint8Array[]) {
  const store = { reads: 0, read: undefined as unknown as NodeReader };
  store.read = (level, index) => {
    store.reads++;
    const width = 2 ** level;
    return rootOf(leafHashes.slice(index * width, (index + 1) * width));
  };
  return store;
}

function flipBit(proof: readonly Uint8Array[], at: number, mask: number): Uint8Array[] {
  return proof.map((hash, i) => {
    const copy = hash.slice();
    if (i === at) copy[0]! ^= mask;
    return copy;
  });
}

describe('inclusion proofs of the 8-leaf tree (transparency-dev vectors)', () => {
  it.each(INCLUSION_PROOFS)(
    'generates and verifies leaf $index of $size',
    ({ index, size, proof }) => {
      const generated = inclusionProof(leaves, index, size);
      expect(generated.map(hex)).toEqual(proof);
      expect(inclusionProofFrom(nodeStore(leaves).read, index, size)).toEqual(generated);
      expect(verifyInclusion(leaves[index]!, index, size, generated, root(size))).toBe(true);
    },
  );

  it.each(INCLUSION_PROOFS.filter((v) => v.proof.length > 0))(
    'refuses every corruption of the proof of leaf $index of $size',
    ({ index, size }) => {
      const proof = inclusionProof(leaves, index, size);
      const good = root(size);
      const leaf = leaves[index]!;
      const refused = (probe: [Uint8Array, number, number, readonly Uint8Array[], Uint8Array]) =>
        verifyInclusion(...probe);

      // Wrong index or tree size.
      expect(refused([leaf, index - 1, size, proof, good])).toBe(false);
      expect(refused([leaf, index + 1, size, proof, good])).toBe(false);
      expect(refused([leaf, index ^ 2, size, proof, good])).toBe(false);
      expect(refused([leaf, index, size * 2, proof, good])).toBe(false);
      expect(refused([leaf, index, Math.floor(size / 2), proof, good])).toBe(false);
      // Tampered leaf, wrong roots.
      expect(refused([leafHash(Uint8Array.of(0xff)), index, size, proof, good])).toBe(false);
      expect(refused([leaf, index, size, proof, emptyRoot()])).toBe(false);
      expect(refused([leaf, index, size, proof, SOME_HASH])).toBe(false);
      // Extended, truncated, swapped.
      expect(refused([leaf, index, size, [...proof, good], good])).toBe(false);
      expect(refused([leaf, index, size, [good, ...proof], good])).toBe(false);
      expect(refused([leaf, index, size, [...proof, new Uint8Array()], good])).toBe(false);
      expect(refused([leaf, index, size, proof.slice(0, -1), good])).toBe(false);
      if (proof.length > 1) {
        expect(refused([leaf, index, size, [...proof].reverse(), good])).toBe(false);
      }
      expect(refused([leaf, index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], good])).toBe(
        false,
      );
      for (let i = 0; i < proof.length; i++) {
        expect(refused([leaf, index, size, flipBit(proof, i, 8), good])).toBe(false);
      }
    },
  );
});

describe('consistency proofs of the 8-leaf tree (transparency-dev vectors)', () => {
  it.each(CONSISTENCY_PROOFS)('generates and verifies $oldSize → $newSize', (vector) => {
    const { oldSize, newSize, proof } = vector;
    const generated = consistencyProof(leaves, oldSize, newSize);
    expect(generated.map(hex)).toEqual(proof);
    expect(consistencyProofFrom(nodeStore(leaves).read, oldSize, newSize)).toEqual(generated);
    expect(verifyConsistency(oldSize, newSize, root(oldSize), root(newSize), generated)).toBe(true);
  });

  it.each(CONSISTENCY_PROOFS.filter((v) => v.proof.length > 0))(
    'refuses every corruption of the proof $oldSize → $newSize',
    ({ oldSize: m, newSize: n }) => {
      const proof = consistencyProof(leaves, m, n);
      const [r1, r2] = [root(m), root(n)];
      const wrongRoot = leafHash(Uint8Array.of(1));
      const refused = (probe: [number, number, Uint8Array, Uint8Array, readonly Uint8Array[]]) =>
        verifyConsistency(...probe);

      for (const [oldSize, newSize] of [
        [m - 1, n],
        [m + 1, n],
        [m ^ 2, n],
        [m, n * 2],
        [m, Math.floor(n / 2)],
      ] as const) {
        expect(refused([oldSize, newSize, r1, r2, proof]), `${oldSize} → ${newSize}`).toBe(false);
      }
      expect(refused([m, n, wrongRoot, r2, proof])).toBe(false);
      expect(refused([m, n, r1, wrongRoot, proof])).toBe(false);
      expect(refused([m, n, r2, r1, proof])).toBe(false);
      expect(refused([m, n, r1, r2, []])).toBe(false);
      expect(refused([m, n, r1, r2, [...proof, new Uint8Array()]])).toBe(false);
      expect(refused([m, n, r1, r2, [...proof, r1]])).toBe(false);
      expect(refused([m, n, r1, r2, [...proof, r2]])).toBe(false);
      expect(refused([m, n, r1, r2, [r1, ...proof]])).toBe(false);
      expect(refused([m, n, r1, r2, [r2, ...proof]])).toBe(false);
      expect(refused([m, n, r1, r2, [proof[0]!, ...proof]])).toBe(false);
      expect(refused([m, n, r1, r2, proof.slice(0, -1)])).toBe(false);
      expect(refused([m, n, r1, r2, [...proof].reverse()])).toBe(false);
      for (let i = 0; i < proof.length; i++) {
        expect(refused([m, n, r1, r2, flipBit(proof, i, 16)])).toBe(false);
      }
    },
  );
});

describe('every proof in the 8-leaf tree', () => {
  it('verifies every inclusion proof for every size, and only at its own index and size', () => {
    for (let size = 1; size <= 8; size++) {
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root(size))).toBe(true);

        for (let other = 1; other <= 8; other++) {
          if (other === size) continue;
          expect(verifyInclusion(leaves[index]!, index, other, proof, root(other))).toBe(false);
        }
      }
    }
  });

  it('verifies every consistency proof 0 ≤ m ≤ n ≤ 8, and none between other sizes', () => {
    for (let n = 0; n <= 8; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = consistencyProof(leaves, m, n);
        expect(verifyConsistency(m, n, root(m), root(n), proof), `${m} → ${n}`).toBe(true);

        // The empty tree is consistent with every tree; any other proof fits one size only.
        for (let other = m + 1; other <= 8 && m > 0; other++) {
          if (other === n) continue;
          expect(verifyConsistency(m, other, root(m), root(other), proof)).toBe(false);
        }
      }
    }
  });

  it('reads O(log n) nodes per proof from a node store', () => {
    const many = Array.from({ length: 1_000 }, (_, i) => leafHash(Uint8Array.of(i % 256, i >> 8)));
    const store = nodeStore(many);
    expect(inclusionProofFrom(store.read, 0, 1_000)).toEqual(inclusionProof(many, 0));
    expect(consistencyProofFrom(store.read, 3, 999)).toEqual(consistencyProof(many, 3, 999));
    expect(store.reads).toBeLessThanOrEqual(4 * Math.ceil(Math.log2(1_000)));
  });
});

describe('verifiers on malformed input', () => {
  const leaf = leaves[0]!;
  const r = root(1);

  it('answer false for sizes and indexes out of range, without throwing', () => {
    for (const [index, size] of [
      [0, 0],
      [1, 0],
      [2, 1],
      [-1, 1],
      [0.5, 1],
      [0, Number.NaN],
      [0, 2 ** 60],
    ]) {
      expect(verifyInclusion(leaf, index!, size!, [], r)).toBe(false);
    }
    expect(verifyConsistency(2, 1, r, r, [])).toBe(false);
    expect(verifyConsistency(-1, 1, r, r, [])).toBe(false);
    expect(verifyConsistency(1, 1.5, r, r, [])).toBe(false);
  });

  it('answer false for hashes and proofs of the wrong shape, without throwing', () => {
    const short = new Uint8Array(31);
    const junk = [undefined, null, 'hash', {}, [short]] as unknown as readonly Uint8Array[];
    expect(verifyInclusion(short, 0, 1, [], r)).toBe(false);
    expect(verifyInclusion(leaf, 0, 1, [], short)).toBe(false);
    expect(verifyInclusion(leaf, 0, 1, junk, r)).toBe(false);
    expect(verifyInclusion(leaf, 0, 1, null as unknown as Uint8Array[], r)).toBe(false);
    // A sparse array: `every` would skip the hole.
    expect(verifyInclusion(leaf, 0, 2, new Array<Uint8Array>(1), r)).toBe(false);
    expect(verifyConsistency(1, 2, r, short, [leaves[1]!])).toBe(false);
    expect(verifyConsistency(1, 2, r, root(2), junk)).toBe(false);
  });

  it('settle equal sizes and the empty tree by the roots alone', () => {
    expect(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), [])).toBe(true);
    expect(verifyConsistency(0, 5, emptyRoot(), root(5), [])).toBe(true);
    expect(verifyConsistency(0, 5, SOME_HASH, root(5), [])).toBe(false);
    expect(verifyConsistency(0, 5, emptyRoot(), root(5), [emptyRoot()])).toBe(false);
    expect(verifyConsistency(3, 3, root(3), root(3), [])).toBe(true);
    expect(verifyConsistency(3, 3, root(3), root(4), [])).toBe(false);
    expect(verifyConsistency(3, 3, root(3), root(3), [root(3)])).toBe(false);
  });
});

describe('generators on bad requests', () => {
  it('refuse indexes and sizes that do not fit the tree', () => {
    const bad = expect.objectContaining({ code: 'ERR_AUDIT_TREE_INVALID' });
    expect(() => inclusionProof(leaves, 8, 8)).toThrow(bad);
    expect(() => inclusionProof(leaves, 0, 9)).toThrow(bad);
    expect(() => inclusionProof([new Uint8Array(3)], 0, 1)).toThrow(bad);
    expect(() => consistencyProof(leaves, 5, 4)).toThrow(bad);
    expect(() => consistencyProof(leaves, 1, 9)).toThrow(bad);
    expect(() => inclusionProofFrom(() => new Uint8Array(4), 0, 2)).toThrow(bad);
  });
});

describe('proofs over random trees (property)', () => {
  const tree = fc
    .array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 100 })
    .chain((hashes) =>
      fc.record({
        hashes: fc.constant(hashes),
        a: fc.nat(hashes.length),
        b: fc.nat(hashes.length),
        bit: fc.nat(255),
      }),
    );

  it('verifies every generated inclusion proof, and refuses it with any one bit flipped', () => {
    fc.assert(
      fc.property(tree, ({ hashes, a, b, bit }) => {
        const size = Math.max(a, b, 1);
        const index = Math.min(a, b, size - 1);
        const proof = inclusionProof(hashes, index, size);
        const head = rootOf(hashes.slice(0, size));
        expect(verifyInclusion(hashes[index]!, index, size, proof, head)).toBe(true);

        const flip = (bytes: Uint8Array) => {
          const copy = bytes.slice();
          copy[bit >> 3]! ^= 1 << (bit & 7);
          return copy;
        };
        expect(verifyInclusion(flip(hashes[index]!), index, size, proof, head)).toBe(false);
        expect(verifyInclusion(hashes[index]!, index, size, proof, flip(head))).toBe(false);
        proof.forEach((_, i) => {
          const bad = proof.map((hash, j) => (i === j ? flip(hash) : hash));
          expect(verifyInclusion(hashes[index]!, index, size, bad, head)).toBe(false);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('verifies every generated consistency proof, and refuses it with any one bit flipped', () => {
    fc.assert(
      fc.property(tree, ({ hashes, a, b, bit }) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const proof = consistencyProof(hashes, m, n);
        const [r1, r2] = [rootOf(hashes.slice(0, m)), rootOf(hashes.slice(0, n))];
        expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);

        const flip = (bytes: Uint8Array) => {
          const copy = bytes.slice();
          copy[bit >> 3]! ^= 1 << (bit & 7);
          return copy;
        };
        expect(verifyConsistency(m, n, flip(r1), r2, proof)).toBe(false);
        // The empty tree precedes every tree, so only a non-empty old tree binds the new root.
        if (m > 0) expect(verifyConsistency(m, n, r1, flip(r2), proof)).toBe(false);
        proof.forEach((_, i) => {
          const bad = proof.map((hash, j) => (i === j ? flip(hash) : hash));
          expect(verifyConsistency(m, n, r1, r2, bad)).toBe(false);
        });
      }),
      { numRuns: 200 },
    );
  });
});
