/**
 * Every key and credential a deployment manages, in one list: the access-token signing keys, the
 * shared secrets of services that call internal routes, and the audit log's checkpoint key. What
 * `gatehouse keys list` prints and `gatehouse review` judges by age.
 * @module
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { readSigningKeys } from '../auth/key-files.js';
import { listDirectory } from '../files.js';
import { readServiceKeys } from '../service-keys/files.js';

/** One managed key, without its secret. */
export interface ManagedKey {
  /** `jwt`: access-token signing; `hmac`: a service's shared secret; `audit`: checkpoints. */
  readonly kind: 'jwt' | 'hmac' | 'audit';
  readonly id: string;
  readonly state: 'active' | 'verify-only' | 'retired';
  /** When it was made; `undefined` when that cannot be known. */
  readonly createdAt: Date | undefined;
  /** When it was retired, if it was. */
  readonly retiredAt?: Date | undefined;
}

/** Where each kind of key lives under the data directory. */
export function keyDirectories(dataDir: string) {
  const secrets = join(dataDir, 'secrets');
  return { jwt: join(secrets, 'jwt'), hmac: join(secrets, 'hmac'), audit: join(secrets, 'audit') };
}

/** The deployment's keys, kind by kind, oldest first within a kind. Creates nothing. */
export async function listManagedKeys(dataDir: string): Promise<ManagedKey[]> {
  const dirs = keyDirectories(dataDir);
  const keys: ManagedKey[] = [];

  for (const record of await readSigningKeys(dirs.jwt)) {
    keys.push({
      kind: 'jwt',
      id: record.kid,
      state: record.state,
      createdAt: new Date(record.createdAt),
      retiredAt: record.retiredAt === undefined ? undefined : new Date(record.retiredAt),
    });
  }
  for (const record of await readServiceKeys(dirs.hmac)) {
    keys.push({
      kind: 'hmac',
      id: record.keyId,
      state: record.state,
      createdAt: new Date(record.createdAt),
      retiredAt: record.retiredAt === undefined ? undefined : new Date(record.retiredAt),
    });
  }
  // The checkpoint key file holds no date; it is written once, so its modification time is when
  // it was made.
  for (const name of (await listDirectory(dirs.audit)).filter((n) => n.endsWith('.key')).sort()) {
    const { mtime } = await stat(join(dirs.audit, name));
    keys.push({
      kind: 'audit',
      id: decodeURIComponent(name.slice(0, -'.key'.length)),
      state: 'active',
      createdAt: mtime,
    });
  }
  // Rotated-out checkpoint keys (`<name>.key.<key hash>`), kept to verify old checkpoints; the
  // file was written when the key was retired.
  const retired = join(dirs.audit, 'retired');
  for (const name of (await listDirectory(retired))
    .filter((n) => /\.key\.[0-9a-f]{8}$/.test(n))
    .sort()) {
    const { mtime } = await stat(join(retired, name));
    const [encoded = '', hash = ''] = name.split('.key.');
    keys.push({
      kind: 'audit',
      id: `${decodeURIComponent(encoded)}+${hash}`,
      state: 'retired',
      createdAt: undefined,
      retiredAt: mtime,
    });
  }
  return keys;
}

/** Whole days from `createdAt` to `now`; `undefined` when the age cannot be known. */
export function ageInDays(key: Pick<ManagedKey, 'createdAt'>, now: Date): number | undefined {
  return key.createdAt === undefined
    ? undefined
    : Math.floor((now.getTime() - key.createdAt.getTime()) / 86_400_000);
}
