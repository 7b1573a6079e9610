import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadOrCreateSigningKeys, rotateSigningKeys } from '../auth/key-files.js';
import { keyDirectories, listManagedKeys } from '../keys/inventory.js';
import { createServiceKey } from '../service-keys/files.js';
import { rotateDueKeys } from './rotation.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const OPTIONS = { now: NOW, maxAgeDays: 90, overlapSeconds: 605 };

function dataDir() {
  return mkdtempSync(join(tmpdir(), 'gatehouse-review-rotate-'));
}

describe('rotateDueKeys', () => {
  it('rotates an active signing key past the limit; the old one keeps verifying', async () => {
    const dir = dataDir();
    const [old] = await loadOrCreateSigningKeys(keyDirectories(dir).jwt, daysAgo(100));

    const actions = await rotateDueKeys(dir, OPTIONS);
    const keys = await listManagedKeys(dir);
    const active = keys.find((key) => key.state === 'active')!;
    expect(actions).toEqual([{ kind: 'jwt', action: 'rotated', id: old!.kid, newId: active.id }]);
    expect(active.createdAt).toEqual(NOW);
    expect(keys.find((key) => key.id === old!.kid)?.state).toBe('verify-only');
  });

  it('leaves a signing key within the limit alone', async () => {
    const dir = dataDir();
    await loadOrCreateSigningKeys(keyDirectories(dir).jwt, daysAgo(90));
    expect(await rotateDueKeys(dir, OPTIONS)).toEqual([]);
  });

  it('retires verify-only keys whose tokens have expired', async () => {
    const dir = dataDir();
    const jwt = keyDirectories(dir).jwt;
    const [first] = await loadOrCreateSigningKeys(jwt, daysAgo(60));
    await rotateSigningKeys(jwt, daysAgo(30));

    expect(await rotateDueKeys(dir, OPTIONS)).toEqual([
      { kind: 'jwt', action: 'retired', id: first!.kid },
    ]);
    expect((await listManagedKeys(dir)).find((key) => key.id === first!.kid)?.state).toBe(
      'retired',
    );
  });

  it('reports an old service key without rotating it', async () => {
    const dir = dataDir();
    await createServiceKey(keyDirectories(dir).hmac, 'billing', daysAgo(120));
    const actions = await rotateDueKeys(dir, OPTIONS);
    expect(actions).toMatchObject([{ kind: 'hmac', action: 'not-rotated', id: 'billing' }]);
    expect(actions[0]!.reason).toContain('calling service');
    expect((await listManagedKeys(dir))[0]?.state).toBe('active');
  });
});
