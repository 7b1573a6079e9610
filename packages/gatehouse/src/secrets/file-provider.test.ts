import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { createFileSecretProvider } from './file-provider.js';
import { describeProviderConformance } from './test/conformance.js';

const NOW = Date.UTC(2026, 0, 31, 12);
const fresh = () => join(mkdtempSync(join(tmpdir(), 'gatehouse-secrets-')), 'secrets');

describeProviderConformance('files', async () => {
  const provider = createFileSecretProvider({ dir: fresh() });
  return { provider, seed: async (name, value) => void (await provider.put(name, value)) };
});

describe('file secret provider', () => {
  it('writes version files 0600 in directories 0700, with the value base64-encoded', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir, clock: () => NOW });
    const metadata = await secrets.put('app/db-password', 'hunter2');

    expect(metadata).toEqual({
      name: 'app/db-password',
      version: '1',
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW),
    });
    for (const path of [dir, join(dir, 'app'), join(dir, 'app', 'db-password')]) {
      expect(statSync(path).mode & 0o777).toBe(0o700);
    }
    const file = join(dir, 'app', 'db-password', '_v1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      name: 'app/db-password',
      version: 1,
      value: Buffer.from('hunter2').toString('base64'),
    });
  });

  it('tightens an existing directory that others could open when it writes', async () => {
    const dir = fresh();
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await createFileSecretProvider({ dir }).put('k', 'v');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('refuses a secret file that group or others may read, as ssh does', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir });
    await secrets.put('k', 'v');
    chmodSync(join(dir, 'k', '_v1.json'), 0o644);

    for (const read of [
      () => secrets.get('k'),
      () => secrets.metadata('k'),
      () => secrets.list(),
    ]) {
      await expect(read()).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
    }
  });

  it('refuses a store directory that others may open', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir });
    await secrets.put('k', 'v');
    chmodSync(dir, 0o750);
    await expect(secrets.get('k')).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
  });

  it('refuses a version file replaced by a symbolic link', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir });
    await secrets.put('k', 'v');
    const elsewhere = join(dir, '..', 'planted.json');
    writeFileSync(elsewhere, readFileSync(join(dir, 'k', '_v1.json')), { mode: 0o600 });
    symlinkSync(elsewhere, join(dir, 'k', '_v2.json'));
    await expect(secrets.get('k')).rejects.toMatchObject({ code: 'ERR_SECRET_FILE_UNSAFE' });
  });

  it('refuses a version file whose name or version does not match its place', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir });
    await secrets.put('a', 'v');
    await secrets.put('b', 'w');
    writeFileSync(join(dir, 'b', '_v1.json'), readFileSync(join(dir, 'a', '_v1.json')));
    await expect(secrets.get('b')).rejects.toMatchObject({ code: 'ERR_SECRET_INVALID' });
  });

  it('keeps the first date across versions and the newest maxVersions files', async () => {
    let now = NOW;
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir, maxVersions: 2, clock: () => now });
    for (let i = 1; i <= 4; i += 1) {
      await secrets.put('k', `value-${i}`);
      now += 60_000;
    }

    expect(readdirSync(join(dir, 'k')).sort()).toEqual(['_v3.json', '_v4.json']);
    expect(await secrets.metadata('k')).toEqual({
      name: 'k',
      version: '4',
      createdAt: new Date(NOW),
      updatedAt: new Date(NOW + 3 * 60_000),
    });
  });

  it('gives concurrent writers distinct versions', async () => {
    const secrets = createFileSecretProvider({ dir: fresh() });
    const written = await Promise.all([1, 2, 3].map((i) => secrets.put('k', `v${i}`)));
    expect(written.map((m) => m.version).sort()).toEqual(['1', '2', '3']);
  });

  it('lists nested names, a name beside a longer one, and ignores stray files', async () => {
    const dir = fresh();
    const secrets = createFileSecretProvider({ dir });
    await secrets.put('app', 'a');
    await secrets.put('app/db', 'b');
    await secrets.put('zeta', 'c');
    writeFileSync(join(dir, 'README'), 'not a secret', { mode: 0o600 });
    mkdirSync(join(dir, 'Empty'), { mode: 0o700 });

    expect((await secrets.list()).map((m) => m.name)).toEqual(['app', 'app/db', 'zeta']);
  });

  it('answers undefined and an empty list before the directory exists', async () => {
    const secrets = createFileSecretProvider({ dir: fresh() });
    expect(await secrets.get('k')).toBeUndefined();
    expect(await secrets.list()).toEqual([]);
  });
});
