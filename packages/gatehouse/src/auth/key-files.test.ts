import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { loadOrCreateSigningKeys, retireSigningKey, rotateSigningKeys } from './key-files.js';
import { createKeyRing } from './key-ring.js';

const DAY_ONE = new Date('2030-01-01T00:00:00.000Z');
const DAY_TWO = new Date('2030-01-02T00:00:00.000Z');
const DAY_THREE = new Date('2030-01-03T00:00:00.000Z');

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'));
  dir = join(root, 'secrets', 'jwt');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function failureOf(run: () => Promise<unknown>): Promise<GatehouseError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatehouseError);
  return error as GatehouseError;
}

describe('loadOrCreateSigningKeys', () => {
  it('creates the directory 0700 and one active key file 0600 on first start', async () => {
    const records = await loadOrCreateSigningKeys(dir, DAY_ONE);

    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({ state: 'active', createdAt: DAY_ONE.toISOString() });
    expect(await modeOf(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual([`${record?.kid}.json`]);
    expect(await modeOf(join(dir, `${record?.kid}.json`))).toBe(0o600);
  });

  it('reuses the same key on the next start', async () => {
    const first = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const second = await loadOrCreateSigningKeys(dir, DAY_TWO);

    expect(second).toEqual(first);
    expect(await readdir(dir)).toHaveLength(1);
    await expect(createKeyRing(second)).resolves.toBeDefined();
  });

  it('refuses a key file that group or others can read, naming the file only', async () => {
    const [record] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const file = join(dir, `${record?.kid}.json`);
    await chmod(file, 0o644);

    const error = await failureOf(() => loadOrCreateSigningKeys(dir, DAY_TWO));
    expect(error.code).toBe('ERR_KEY_FILE_UNSAFE');
    expect(error.message).toContain(file);
    expect(error.message).not.toContain(String(record?.privateJwk.d));
  });

  it('refuses a key file that is not JSON, without quoting it', async () => {
    const [record] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const file = join(dir, `${record?.kid}.json`);
    await writeFile(file, 'secret-material-not-json', { mode: 0o600 });

    const error = await failureOf(() => loadOrCreateSigningKeys(dir, DAY_TWO));
    expect(error.code).toBe('ERR_KEY_INVALID');
    expect(error.message).not.toContain('secret-material');
  });

  it('refuses a key file whose name is not its kid', async () => {
    const [record] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const text = await readFile(join(dir, `${record?.kid}.json`), 'utf8');
    await writeFile(join(dir, `${'A'.repeat(43)}.json`), text, { mode: 0o600 });

    const error = await failureOf(() => loadOrCreateSigningKeys(dir, DAY_TWO));
    expect(error.code).toBe('ERR_KEY_INVALID');
  });

  it('ignores files that are not key files, such as a temp file left by a crash', async () => {
    const [record] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    await writeFile(join(dir, `.${record?.kid}.0000.tmp`), '{"half":', { mode: 0o600 });
    await writeFile(join(dir, 'README'), 'not a key', { mode: 0o644 });

    const records = await loadOrCreateSigningKeys(dir, DAY_TWO);
    expect(records.map((entry) => entry.kid)).toEqual([record?.kid]);
  });
});

describe('rotateSigningKeys and retireSigningKey', () => {
  it('rotates to a new active key and keeps the old one for verification', async () => {
    const [original] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const rotated = await rotateSigningKeys(dir, DAY_TWO);

    expect(rotated.map(({ kid, state }) => ({ kid, state }))).toEqual([
      { kid: original?.kid, state: 'verify-only' },
      { kid: rotated[1]?.kid, state: 'active' },
    ]);
    expect(rotated[1]?.createdAt).toBe(DAY_TWO.toISOString());
    expect(await loadOrCreateSigningKeys(dir, DAY_THREE)).toEqual(rotated);

    const names = await readdir(dir);
    expect(names.sort()).toEqual(rotated.map((record) => `${record.kid}.json`).sort());
    for (const name of names) expect(await modeOf(join(dir, name))).toBe(0o600);

    const ring = await createKeyRing(rotated);
    expect(ring.signingKey().kid).toBe(rotated[1]?.kid);
    expect(ring.verificationKey(String(original?.kid))).toBeDefined();
  });

  it('retires a verify-only key, which then verifies nothing', async () => {
    const [original] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    await rotateSigningKeys(dir, DAY_TWO);
    const retired = await retireSigningKey(dir, String(original?.kid), DAY_THREE);

    expect(retired.find((record) => record.kid === original?.kid)).toMatchObject({
      state: 'retired',
      retiredAt: DAY_THREE.toISOString(),
    });
    expect(await loadOrCreateSigningKeys(dir)).toEqual(retired);

    const ring = await createKeyRing(retired);
    expect(ring.verificationKey(String(original?.kid))).toBeUndefined();
    expect(ring.jwks().keys).toHaveLength(1);
  });

  it('refuses to retire the active key or an unknown kid', async () => {
    const [active] = await loadOrCreateSigningKeys(dir, DAY_ONE);

    const activeError = await failureOf(() => retireSigningKey(dir, String(active?.kid)));
    expect(activeError.code).toBe('ERR_KEY_STATE');
    const unknownError = await failureOf(() => retireSigningKey(dir, '../../etc/passwd'));
    expect(unknownError.code).toBe('ERR_KEY_STATE');
  });

  it('generates a new active key after a crash left none', async () => {
    const [original] = await loadOrCreateSigningKeys(dir, DAY_ONE);
    const file = join(dir, `${original?.kid}.json`);
    const demoted = { ...JSON.parse(await readFile(file, 'utf8')), state: 'verify-only' };
    await writeFile(file, JSON.stringify(demoted), { mode: 0o600 });

    const records = await loadOrCreateSigningKeys(dir, DAY_TWO);
    expect(records.map((record) => record.state)).toEqual(['verify-only', 'active']);
  });
});
