/**
 * Shared secrets of the services that call internal routes, one `<key id>.json` file per key
 * (mode 0600) in a directory only the service's user may read (0700): the embedded default.
 * Several keys may be active at once, which is how a rotation overlaps: the calling service is
 * given a new key, switches to it, and the old one is retired.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { listDirectory, writeFileAtomically } from '../files.js';

/** Key ids are names a person chooses (`billing-2026-12`); they also name the files. */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KEY_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.json$/;
const MAX_FILE_BYTES = 4 * 1024;
/** 256 bits, the HMAC-SHA256 block-sized minimum RFC 9421 implementations expect. */
const SECRET_BYTES = 32;

const recordSchema = z.strictObject({
  keyId: z.string().regex(KEY_ID),
  state: z.enum(['active', 'retired']),
  createdAt: z.iso.datetime(),
  retiredAt: z.iso.datetime().optional(),
  /** A key being rotated out stays accepted until this time, then counts as retired. */
  retireAt: z.iso.datetime().optional(),
  secret: z.base64url().min(43),
});

/** One service key as stored. `secret` is base64url; it never appears in logs or listings. */
export type ServiceKeyRecord = z.infer<typeof recordSchema>;

/** A key as listed: everything but the secret. */
export type ServiceKeyInfo = Omit<ServiceKeyRecord, 'secret'>;

/** Checks a key id, throwing `ERR_CONFIG_INVALID` for one that is not a plain name. */
export function assertKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'a service key id is 1-64 letters, digits, dots, dashes or underscores',
    );
  }
}

/**
 * Creates an active key with 32 random bytes and returns its record, secret included: hand the
 * secret to the calling service once, over a channel fit for secrets. Refuses an id in use.
 */
export async function createServiceKey(
  dir: string,
  keyId: string,
  now: Date = new Date(),
): Promise<ServiceKeyRecord> {
  assertKeyId(keyId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const record: ServiceKeyRecord = {
    keyId,
    state: 'active',
    createdAt: now.toISOString(),
    secret: randomBytes(SECRET_BYTES).toString('base64url'),
  };
  await writeRecord(dir, record, 'create');
  return record;
}

/** Every key in `dir`, secrets included, oldest first; none when the directory does not exist. */
export async function readServiceKeys(dir: string): Promise<ServiceKeyRecord[]> {
  const names = await listDirectory(dir);
  const records: ServiceKeyRecord[] = [];
  for (const name of names.filter((n) => KEY_FILE.test(n)).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    if (text.length > MAX_FILE_BYTES) throw unreadable(name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw unreadable(name);
    }
    const record = recordSchema.safeParse(parsed);
    if (!record.success || `${record.data.keyId}.json` !== name) throw unreadable(name);
    records.push(record.data);
  }
  return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The keys without their secrets, for listings. */
export function describeServiceKeys(records: readonly ServiceKeyRecord[]): ServiceKeyInfo[] {
  return records.map(({ secret: _secret, ...info }) => info);
}

/** Retires a key: requests signed with it are refused from then on. */
export async function retireServiceKey(
  dir: string,
  keyId: string,
  now: Date = new Date(),
): Promise<ServiceKeyRecord> {
  assertKeyId(keyId);
  const record = (await readServiceKeys(dir)).find((r) => r.keyId === keyId);
  if (!record) throw new GatehouseError('ERR_CONFIG_INVALID', `no service key "${keyId}"`);
  if (record.state === 'retired') return record;
  const retired: ServiceKeyRecord = { ...record, state: 'retired', retiredAt: now.toISOString() };
  await writeRecord(dir, retired, 'replace');
  return retired;
}

/**
 * Keeps a key accepted until `at`, after which it counts as retired: the overlap during which a
 * calling service switches to its new key.
 */
export async function scheduleServiceKeyRetirement(
  dir: string,
  keyId: string,
  at: Date,
): Promise<ServiceKeyRecord> {
  assertKeyId(keyId);
  const record = (await readServiceKeys(dir)).find((r) => r.keyId === keyId);
  if (!record) throw new GatehouseError('ERR_CONFIG_INVALID', `no service key "${keyId}"`);
  if (record.state === 'retired') return record;
  const scheduled: ServiceKeyRecord = { ...record, retireAt: at.toISOString() };
  await writeRecord(dir, scheduled, 'replace');
  return scheduled;
}

/** Whether a key is accepted at `now`: active, and not past a scheduled retirement. */
export function isServiceKeyLive(record: ServiceKeyRecord, now: number): boolean {
  return (
    record.state === 'active' &&
    (record.retireAt === undefined || Date.parse(record.retireAt) > now)
  );
}

/** Deletes a retired key's file. */
export async function deleteServiceKey(dir: string, keyId: string): Promise<void> {
  assertKeyId(keyId);
  await rm(join(dir, `${keyId}.json`), { force: true });
}

async function writeRecord(dir: string, record: ServiceKeyRecord, mode: 'create' | 'replace') {
  try {
    await writeFileAtomically(dir, `${record.keyId}.json`, `${JSON.stringify(record, null, 2)}\n`, {
      exclusive: mode === 'create',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GatehouseError('ERR_CONFIG_INVALID', `service key "${record.keyId}" exists`);
    }
    throw error;
  }
}

function unreadable(name: string): GatehouseError {
  return new GatehouseError('ERR_CONFIG_INVALID', `service key file ${name} is not valid`);
}

/**
 * Resolves a key id to its secret for the signature verifier, reading the directory again at
 * most every `refreshMs` (and at once for an id it does not know, at most every second), so a
 * running server takes up created and retired keys without a restart.
 */
export function createServiceKeyResolver(
  dir: string,
  options: { readonly refreshMs?: number; readonly clock?: () => number } = {},
): (keyId: string) => Promise<Uint8Array[]> {
  const refreshMs = options.refreshMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  let keys = new Map<string, ServiceKeyRecord>();
  let loadedAt = -Infinity;
  let loading: Promise<void> | undefined;

  const load = () =>
    (loading ??= readServiceKeys(dir)
      .then((records) => {
        keys = new Map(records.map((record) => [record.keyId, record]));
        loadedAt = clock();
      })
      .finally(() => {
        loading = undefined;
      }));

  return async (keyId) => {
    const age = clock() - loadedAt;
    if (age >= refreshMs || (!keys.has(keyId) && age >= 1_000)) await load();
    const record = keys.get(keyId);
    // Checked on every call, so a scheduled retirement takes effect on time.
    return record && isServiceKeyLive(record, clock())
      ? [new Uint8Array(Buffer.from(record.secret, 'base64url'))]
      : [];
  };
}
