import { describe, expect, it } from 'vitest';

import { canonicalBytes } from './canonical.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { leafHash } from './hash.js';
import { parseSignerKey, parseVerifierKey, verifierKey } from './keys.js';
import { signNote } from './note.js';
import { inclusionProof } from './proof.js';
import { ROOTS, unhex } from './test/vectors.js';
import { createTreeBuilder } from './tree.js';
import { verifyInclusion } from './verify.js';

// The example of c2sp.org/tlog-checkpoint.
const EXAMPLE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
// golang.org/x/mod/sumdb/note, note_test.go: the PeterNeumann signer key.
const signer = parseSignerKey(
  'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
);
const verifier = parseVerifierKey(verifierKey(signer.name, signer.privateKey));
const ROOT8 = unhex(ROOTS[7]!);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('checkpoint text', () => {
  it('parses the specification example', () => {
    const checkpoint = parseCheckpoint(EXAMPLE);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.size).toBe(20_852_163);
    expect(checkpoint.root).toHaveLength(32);
    expect(checkpoint.extensions).toEqual([]);
    expect(formatCheckpoint(checkpoint)).toBe(EXAMPLE);
  });

  it('formats a tree head with and without extension lines', () => {
    const head = { origin: 'audit.example/log', size: 8, root: ROOT8 };
    expect(formatCheckpoint(head)).toBe(
      'audit.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n',
    );
    const extended = formatCheckpoint({ ...head, extensions: ['timestamp 1700000000'] });
    expect(parseCheckpoint(extended)).toEqual({ ...head, extensions: ['timestamp 1700000000'] });
  });

  it('reads an empty tree as size 0', () => {
    const text = 'log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n';
    expect(parseCheckpoint(text).size).toBe(0);
  });

  it.each([
    ['no final newline', EXAMPLE.slice(0, -1)],
    ['an empty origin', EXAMPLE.replace('example.com/behind-the-sofa', '')],
    ['a missing root line', 'example.com/behind-the-sofa\n20852163\n'],
    ['a leading zero in the size', EXAMPLE.replace('20852163', '020852163')],
    ['a signed size', EXAMPLE.replace('20852163', '+20852163')],
    ['a size with a space', EXAMPLE.replace('20852163', '20852163 ')],
    ['a hex size', EXAMPLE.replace('20852163', '0x10')],
    ['a size past 2^53', EXAMPLE.replace('20852163', '9007199254740993')],
    [
      'a 31-byte root',
      EXAMPLE.replace('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'A'.repeat(40) + 'AA=='),
    ],
    ['an unpadded root', EXAMPLE.replace('2I=', '2I')],
    ['a URL-safe root', EXAMPLE.replace('m/X', 'm_X')],
    ['an empty extension line', `${EXAMPLE}\nextra\n`],
    ['a carriage return', EXAMPLE.replace('sofa\n', 'sofa\r\n')],
  ])('refuses a checkpoint with %s', (_, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe('ERR_AUDIT_CHECKPOINT_INVALID');
  });

  it('refuses to format fields it could not parse back', () => {
    const head = { origin: 'audit.example/log', size: 8, root: ROOT8 };
    for (const bad of [
      { ...head, origin: '' },
      { ...head, origin: 'two\nlines' },
      { ...head, size: -1 },
      { ...head, size: 1.5 },
      { ...head, root: ROOT8.subarray(1) },
      { ...head, extensions: [''] },
    ]) {
      expect(codeOf(() => formatCheckpoint(bad))).toBe('ERR_AUDIT_CHECKPOINT_INVALID');
    }
  });
});

describe('signed checkpoints', () => {
  const head = { origin: 'PeterNeumann', size: 8, root: ROOT8 };

  it('round-trip through a signed note and prove an entry against it', () => {
    const tree = createTreeBuilder();
    const entries = [
      { action: 'login', user: 'u1' },
      { action: 'logout', user: 'u1' },
    ];
    const leaves = entries.map((entry) => leafHash(canonicalBytes(entry)));
    leaves.forEach((leaf) => tree.append(leaf));

    const note = signCheckpoint(
      { origin: 'PeterNeumann', size: tree.size, root: tree.root() },
      signer,
    );
    const { checkpoint, signatures } = openCheckpoint(note, [verifier], 'PeterNeumann');
    expect(signatures).toEqual([{ name: 'PeterNeumann', keyHash: 0xc74f20a3 }]);
    const proof = inclusionProof(leaves, 1, checkpoint.size);
    expect(verifyInclusion(leaves[1]!, 1, checkpoint.size, proof, checkpoint.root)).toBe(true);
  });

  it('refuses a checkpoint from another origin, even under a trusted key', () => {
    const note = signCheckpoint(head, signer);
    expect(codeOf(() => openCheckpoint(note, [verifier], 'other.example/log'))).toBe(
      'ERR_AUDIT_CHECKPOINT_INVALID',
    );
  });

  it('refuses a checkpoint whose size or root was changed after signing', () => {
    const note = signCheckpoint(head, signer);
    expect(
      codeOf(() => openCheckpoint(note.replace('\n8\n', '\n9\n'), [verifier], 'PeterNeumann')),
    ).toBe('ERR_AUDIT_NOTE_SIGNATURE');
    expect(
      codeOf(() => openCheckpoint(note.replace('Xcna', 'Ycna'), [verifier], 'PeterNeumann')),
    ).toBe('ERR_AUDIT_NOTE_SIGNATURE');
  });

  it('refuses a validly signed note whose text is not a checkpoint', () => {
    const note = signNote('not a checkpoint\n', signer);
    expect(codeOf(() => openCheckpoint(note, [verifier], 'PeterNeumann'))).toBe(
      'ERR_AUDIT_CHECKPOINT_INVALID',
    );
  });
});
