/**
 * The embedded default store of signing keys: one `<kid>.json` file per key in a directory that
 * only the service's user may read, generated on first start and reused after.
 * @module
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { listDirectory, writeFileAtomically } from '../files.js';
import { generateSigningKey, type SigningKeyRecord } from './key-ring.js';

/** A SHA-256 RFC 7638 thumbprint is 43 base64url characters, so no file name can leave `dir`. */
const KEY_FILE = /^[A-Za-z0-9_-]{43}\.json$/;
const MAX_KEY_FILE_BYTES = 16 * 1024;

const recordSchema = z.object({
  kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  state: z.enum(['active', 'verify-only', 'retired']),
  createdAt: z.iso.datetime(),
  retiredAt: z.iso.datetime().optional(),
  privateJwk: z.object({ kty: z.string(), crv: z.string(), x: z.string(), d: z.string() }),
});

/**
 * Reads the signing keys in `dir`, creating the directory (0700) and a first active key (0600)
 * when there is none.
 *
 * @example const records = await loadOrCreateSigningKeys(`${dataDir}/secrets/jwt`);
 * @default now — the current time
 */
export async function loadOrCreateSigningKeys(
  dir: string,
  now: Date = new Date(),
): Promise<SigningKeyRecord[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const records = await readSigningKeys(dir);
  if (records.some((record) => record.state === 'active')) return records;

  const created = await generateSigningKey(now);
  await writeSigningKey(dir, created);
  return sortRecords([...records, created]);
}

/**
 * Generates a new active key; the previous active key becomes verify-only, so tokens it signed
 * stay valid until they expire. Pass the result to `KeyRing.replace`.
 *
 * @example await ring.replace(await rotateSigningKeys(dir));
 * @default now — the current time
 */
export async function rotateSigningKeys(
  dir: string,
  now: Date = new Date(),
): Promise<SigningKeyRecord[]> {
  const records = await loadOrCreateSigningKeys(dir, now);
  const next: SigningKeyRecord[] = [];
  for (const record of records) {
    if (record.state !== 'active') {
      next.push(record);
      continue;
    }
    // The old key is demoted before the new one is written: a crash in between leaves no active
    // key, and the next load generates one, rather than two active keys that refuse to load.
    const demoted: SigningKeyRecord = { ...record, state: 'verify-only' };
    await writeSigningKey(dir, demoted);
    next.push(demoted);
  }

  const created = await generateSigningKey(now);
  await writeSigningKey(dir, created);
  return sortRecords([...next, created]);
}

/**
 * Retires a verify-only key: it no longer verifies any token. The active key cannot be retired;
 * rotate first.
 *
 * @example await ring.replace(await retireSigningKey(dir, oldKid));
 * @default now — the current time
 */
export async function retireSigningKey(
  dir: string,
  kid: string,
  now: Date = new Date(),
): Promise<SigningKeyRecord[]> {
  const records = await readSigningKeys(dir);
  const target = records.find((record) => record.kid === kid);
  if (target === undefined) {
    throw new GatehouseError('ERR_KEY_STATE', 'No signing key has this kid.');
  }
  if (target.state === 'active') {
    throw new GatehouseError('ERR_KEY_STATE', 'The active signing key cannot be retired.');
  }
  if (target.state === 'retired') return records;

  const retired: SigningKeyRecord = { ...target, state: 'retired', retiredAt: now.toISOString() };
  await writeSigningKey(dir, retired);
  return records.map((record) => (record === target ? retired : record));
}

/** The signing keys in `dir`, oldest first, without creating anything; none without the directory. */
export async function readSigningKeys(dir: string): Promise<SigningKeyRecord[]> {
  const names = (await listDirectory(dir)).filter((name) => KEY_FILE.test(name));
  const records: SigningKeyRecord[] = [];
  for (const name of names) records.push(await readSigningKey(dir, name));

  if (records.filter((record) => record.state === 'active').length > 1) {
    throw new GatehouseError('ERR_KEY_INVALID', `More than one key in ${dir} is active.`);
  }
  return sortRecords(records);
}

async function readSigningKey(dir: string, name: string): Promise<SigningKeyRecord> {
  const path = join(dir, name);
  // Mode and content come from one open file, so the file checked is the file read.
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > MAX_KEY_FILE_BYTES) {
      throw new GatehouseError('ERR_KEY_INVALID', `Key file ${path} is not a key file.`);
    }
    if ((stats.mode & 0o077) !== 0) {
      throw new GatehouseError(
        'ERR_KEY_FILE_UNSAFE',
        `Key file ${path} is readable by group or others; restrict it to mode 0600.`,
      );
    }
    return parseRecord(await handle.readFile('utf8'), path, name);
  } finally {
    await handle.close();
  }
}

/** Errors name the file, never its content: JSON and schema messages may quote the key. */
function parseRecord(text: string, path: string, name: string): SigningKeyRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatehouseError('ERR_KEY_INVALID', `Key file ${path} is not valid JSON.`);
  }

  const parsed = recordSchema.safeParse(json);
  if (!parsed.success || `${parsed.data.kid}.json` !== name) {
    throw new GatehouseError('ERR_KEY_INVALID', `Key file ${path} is not a signing key record.`);
  }
  const { kid, state, createdAt, retiredAt, privateJwk } = parsed.data;
  const { kty, crv, x, d } = privateJwk;
  const record = { kid, state, createdAt, privateJwk: { kty, crv, x, d } };
  return retiredAt === undefined ? record : { ...record, retiredAt };
}

/** Writes a temp file, flushes it and renames it over `<kid>.json`: no crash leaves half a key. */
async function writeSigningKey(dir: string, record: SigningKeyRecord): Promise<void> {
  await writeFileAtomically(dir, `${record.kid}.json`, `${JSON.stringify(record, null, 2)}\n`);
}

function sortRecords(records: SigningKeyRecord[]): SigningKeyRecord[] {
  return records.sort((a, b) =>
    a.createdAt === b.createdAt ? (a.kid < b.kid ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1,
  );
}
