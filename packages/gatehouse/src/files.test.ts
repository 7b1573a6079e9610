import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { listDirectory, writeFileAtomically } from './files.js';

describe('writeFileAtomically', () => {
  it('writes an owner-only file, replaces it, and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-files-'));
    await writeFileAtomically(dir, 'a.json', 'one');
    await writeFileAtomically(dir, 'a.json', 'two');
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('two');
    expect(statSync(join(dir, 'a.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('with exclusive, refuses to replace an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-files-'));
    await writeFileAtomically(dir, 'a.json', 'one', { exclusive: true });
    await expect(
      writeFileAtomically(dir, 'a.json', 'two', { exclusive: true }),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('one');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('listDirectory', () => {
  it('lists nothing for a directory that does not exist yet', async () => {
    expect(await listDirectory(join(tmpdir(), `missing-${crypto.randomUUID()}`))).toEqual([]);
  });
});
