import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createMountSecretProvider } from './mount-provider.js';
import { describeProviderConformance } from './test/conformance.js';

const MTIME = new Date(Date.UTC(2026, 0, 15, 8));

function mountDir(): string {
  return mkdtempSync(join(tmpdir(), 'gatehouse-mount-'));
}

function writeSecret(dir: string, name: string, value: string, mode = 0o400): void {
  const path = join(dir, ...name.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, value, { mode });
  chmodSync(path, mode);
}

/**
 * The layout the kubelet writes for a secret volume: the data in a timestamped directory,
 * `..data` linking to it, and one link per key through `..data`.
 */
function kubernetesVolume(keys: Record<string, string>, mode: number): string {
  const dir = mountDir();
  const stamp = '..2026_01_15_08_00_00.123456789';
  mkdirSync(join(dir, stamp));
  for (const [key, value] of Object.entries(keys)) {
    writeFileSync(join(dir, stamp, key), value, { mode });
    chmodSync(join(dir, stamp, key), mode);
    symlinkSync(join('..data', key), join(dir, key));
  }
  symlinkSync(stamp, join(dir, '..data'));
  return dir;
}

describeProviderConformance('files (mount)', async () => {
  const dir = mountDir();
  return {
    provider: createMountSecretProvider({ dir }),
    seed: async (name, value) => writeSecret(dir, name, value),
  };
});

describe('mounted secret files', () => {
  it('reads a plain file as the value, with its mtime as both dates and no version', async () => {
    const dir = mountDir();
    writeSecret(dir, 'db_password', 'hunter2\n');
    utimesSync(join(dir, 'db_password'), MTIME, MTIME);

    const secret = await createMountSecretProvider({ dir }).get('db_password');
    expect(Buffer.from(secret?.value ?? []).toString()).toBe('hunter2\n');
    expect(secret?.metadata).toEqual({
      name: 'db_password',
      version: undefined,
      createdAt: MTIME,
      updatedAt: MTIME,
    });
  });

  it('follows the ..data links of a Kubernetes volume and lists only the keys', async () => {
    const dir = kubernetesVolume({ 'api-key': 'k1', 'db-password': 'p1' }, 0o400);
    const secrets = createMountSecretProvider({ dir });

    expect((await secrets.list()).map((m) => m.name)).toEqual(['api-key', 'db-password']);
    expect(Buffer.from((await secrets.get('api-key'))?.value ?? []).toString()).toBe('k1');
  });

  it('reads the new content once Kubernetes swaps ..data to an updated directory', async () => {
    const dir = kubernetesVolume({ token: 'old' }, 0o400);
    const secrets = createMountSecretProvider({ dir });
    expect(Buffer.from((await secrets.get('token'))?.value ?? []).toString()).toBe('old');

    const next = '..2026_02_01_08_00_00.987654321';
    mkdirSync(join(dir, next));
    writeFileSync(join(dir, next, 'token'), 'new', { mode: 0o400 });
    symlinkSync(next, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));

    expect(Buffer.from((await secrets.get('token'))?.value ?? []).toString()).toBe('new');
  });

  it('refuses a file larger than a megabyte', async () => {
    const dir = mountDir();
    writeSecret(dir, 'huge', 'x'.repeat(1024 * 1024 + 1));
    await expect(createMountSecretProvider({ dir }).get('huge')).rejects.toMatchObject({
      code: 'ERR_SECRET_INVALID',
    });
  });

  it('refuses a group- or world-readable file by default', async () => {
    const dir = kubernetesVolume({ token: 't' }, 0o644);
    const secrets = createMountSecretProvider({ dir });
    await expect(secrets.get('token')).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
    await expect(secrets.list()).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
  });

  it('accepts what tolerateReadableBy allows, and no more', async () => {
    const dir = mountDir();
    writeSecret(dir, 'group-only', 'g', 0o440);
    writeSecret(dir, 'everyone', 'e', 0o444);
    const group = createMountSecretProvider({ dir, tolerateReadableBy: 'group' });
    const anyone = createMountSecretProvider({ dir, tolerateReadableBy: 'anyone' });

    expect(await group.get('group-only')).toBeDefined();
    await expect(group.get('everyone')).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
    expect(await anyone.get('everyone')).toBeDefined();
  });

  it('reads nested names from sub-directories and skips hidden and malformed entries', async () => {
    const dir = mountDir();
    writeSecret(dir, 'app/db', 'x');
    writeSecret(dir, '.hidden', 'x');
    writeSecret(dir, 'UPPER', 'x');

    const secrets = createMountSecretProvider({ dir });
    expect((await secrets.list()).map((m) => m.name)).toEqual(['app/db']);
    expect(await secrets.get('app')).toBeUndefined();
  });

  it('refuses put, and an unknown tolerance at construction', async () => {
    const secrets = createMountSecretProvider({ dir: mountDir() });
    expect(secrets.writable).toBe(false);
    await expect(secrets.put('x', 'y')).rejects.toMatchObject({ code: 'ERR_SECRET_READ_ONLY' });
    expect(() =>
      createMountSecretProvider({ dir: '/x', tolerateReadableBy: 'all' as never }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('answers an empty list for a directory that is not mounted', async () => {
    const secrets = createMountSecretProvider({ dir: join(mountDir(), 'missing') });
    expect(await secrets.list()).toEqual([]);
    expect(await secrets.get('x')).toBeUndefined();
  });
});
