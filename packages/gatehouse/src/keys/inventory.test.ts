import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadOrCreateCheckpointKey } from '../audit/checkpoint-key.js';
import { loadOrCreateSigningKeys, rotateSigningKeys } from '../auth/key-files.js';
import { createServiceKey, retireServiceKey } from '../service-keys/files.js';
import { ageInDays, keyDirectories, listManagedKeys } from './inventory.js';

describe('listManagedKeys', () => {
  it('lists nothing, and creates nothing, for a fresh data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
    expect(await listManagedKeys(dataDir)).toEqual([]);
    expect(await listManagedKeys(dataDir)).toEqual([]);
  });

  it('lists every kind with its state and age, and never a secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-'));
    const dirs = keyDirectories(dataDir);
    await loadOrCreateSigningKeys(dirs.jwt, new Date('2026-01-01T00:00:00Z'));
    await rotateSigningKeys(dirs.jwt, new Date('2026-03-01T00:00:00Z'));
    await createServiceKey(dirs.hmac, 'billing', new Date('2026-02-01T00:00:00Z'));
    await retireServiceKey(dirs.hmac, 'billing');
    await loadOrCreateCheckpointKey(dirs.audit, 'api.example.test/audit');

    const keys = await listManagedKeys(dataDir);
    expect(keys.map((key) => [key.kind, key.state])).toEqual([
      ['jwt', 'verify-only'],
      ['jwt', 'active'],
      ['hmac', 'retired'],
      ['audit', 'active'],
    ]);
    expect(keys.find((key) => key.kind === 'audit')?.id).toBe('api.example.test/audit');
    expect(ageInDays(keys[0]!, new Date('2026-04-01T00:00:00Z'))).toBe(90);
    expect(JSON.stringify(keys)).not.toMatch(/privateJwk|secret|PRIVATE\+KEY/);
  });
});
