import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  createServiceKey,
  createServiceKeyResolver,
  describeServiceKeys,
  readServiceKeys,
  retireServiceKey,
} from './files.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'gatehouse-hmac-')), 'hmac');

describe('service key files', () => {
  it('creates a 32-byte key that only the owner may read, in a directory only the owner may open', async () => {
    const dir = fresh();
    const record = await createServiceKey(dir, 'billing-1');
    expect(Buffer.from(record.secret, 'base64url')).toHaveLength(32);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'billing-1.json')).mode & 0o777).toBe(0o600);
    expect(await readServiceKeys(dir)).toEqual([record]);
  });

  it('lists keys without their secrets', async () => {
    const dir = fresh();
    await createServiceKey(dir, 'a');
    const listed = describeServiceKeys(await readServiceKeys(dir));
    expect(listed).toEqual([expect.objectContaining({ keyId: 'a', state: 'active' })]);
    expect(JSON.stringify(listed)).not.toContain('secret');
  });

  it('refuses ids that are not plain names, and an id in use', async () => {
    const dir = fresh();
    for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(65), 'a b']) {
      await expect(createServiceKey(dir, id)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    }
    await createServiceKey(dir, 'taken');
    await expect(createServiceKey(dir, 'taken')).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
  });

  it('refuses a key file that was tampered with', async () => {
    const dir = fresh();
    await createServiceKey(dir, 'k');
    writeFileSync(join(dir, 'k.json'), '{"keyId":"other","state":"active"}');
    await expect(readServiceKeys(dir)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  it('resolves active keys, and takes up new and retired keys without a restart', async () => {
    const dir = fresh();
    let now = 0;
    const resolve = createServiceKeyResolver(dir, { refreshMs: 5_000, clock: () => now });
    const first = await createServiceKey(dir, 'first');

    expect(await resolve('first')).toEqual([
      new Uint8Array(Buffer.from(first.secret, 'base64url')),
    ]);
    expect(await resolve('second')).toEqual([]);

    // A key created since the last read is found once a second has passed.
    await createServiceKey(dir, 'second');
    now = 1_000;
    expect(await resolve('second')).toHaveLength(1);

    // A retired key stops resolving at the next refresh.
    await retireServiceKey(dir, 'first');
    now = 2_000;
    expect(await resolve('first')).toHaveLength(1);
    now = 7_000;
    expect(await resolve('first')).toEqual([]);
  });
});
