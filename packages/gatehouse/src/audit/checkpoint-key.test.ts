import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  checkpointVerifierKeys,
  loadOrCreateCheckpointKey,
  rotateCheckpointKey,
} from './checkpoint-key.js';
import { openCheckpoint, parseVerifierKey, signCheckpoint, emptyRoot } from './tlog/index.js';

const NAME = 'audit.example.test/log';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-audit-key-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadOrCreateCheckpointKey', () => {
  it('creates an owner-only key once and loads the same key afterwards', async () => {
    const dir = join(root, 'secrets', 'audit');
    const created = await loadOrCreateCheckpointKey(dir, NAME);
    const loaded = await loadOrCreateCheckpointKey(dir, NAME);

    expect(created.created).toBe(true);
    expect(loaded.created).toBe(false);
    expect(loaded.verifierKey).toBe(created.verifierKey);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const [file] = await readdir(dir);
    expect(file).toBe('audit.example.test%2Flog.key');
    expect((await stat(join(dir, file as string))).mode & 0o777).toBe(0o600);

    const note = signCheckpoint({ origin: NAME, size: 0, root: emptyRoot() }, created.signer);
    const verifier = parseVerifierKey(loaded.verifierKey);
    expect(openCheckpoint(note, [verifier], NAME).checkpoint.size).toBe(0);
  });

  it('gives two processes starting at once the same key', async () => {
    const [a, b] = await Promise.all([
      loadOrCreateCheckpointKey(root, NAME),
      loadOrCreateCheckpointKey(root, NAME),
    ]);
    expect(a.verifierKey).toBe(b.verifierKey);
  });

  it('refuses a key file others may read, and one that is not a signer key', async () => {
    await loadOrCreateCheckpointKey(root, NAME);
    const path = join(root, 'audit.example.test%2Flog.key');
    await chmod(path, 0o644);
    await expect(loadOrCreateCheckpointKey(root, NAME)).rejects.toMatchObject({
      code: 'ERR_AUDIT_KEY_FILE',
    });
    await writeFile(path, 'not a key\n', { mode: 0o600 });
    await chmod(path, 0o600);
    await expect(loadOrCreateCheckpointKey(root, NAME)).rejects.toMatchObject({
      code: 'ERR_AUDIT_KEY_FILE',
    });
  });

  it('refuses a key name with a space or a plus sign', async () => {
    await expect(loadOrCreateCheckpointKey(root, 'a b')).rejects.toMatchObject({
      code: 'ERR_AUDIT_KEY_INVALID',
    });
  });
});

describe('rotateCheckpointKey', () => {
  it('makes a new key and keeps the old one verifiable, owner-only', async () => {
    const dir = join(root, 'secrets', 'audit');
    const before = await loadOrCreateCheckpointKey(dir, NAME);
    const note = signCheckpoint({ origin: NAME, size: 0, root: emptyRoot() }, before.signer);

    const after = await rotateCheckpointKey(dir, NAME);
    expect(after.verifierKey).not.toBe(before.verifierKey);
    expect((await loadOrCreateCheckpointKey(dir, NAME)).verifierKey).toBe(after.verifierKey);

    const keys = await checkpointVerifierKeys(dir, NAME);
    expect(keys).toEqual([after.verifierKey, before.verifierKey]);
    expect(() => openCheckpoint(note, keys.map(parseVerifierKey), NAME)).not.toThrow();
    expect(() => openCheckpoint(note, [parseVerifierKey(after.verifierKey)], NAME)).toThrow();
    for (const file of await readdir(join(dir, 'retired'))) {
      expect((await stat(join(dir, 'retired', file))).mode & 0o777).toBe(0o600);
    }
  });
});
