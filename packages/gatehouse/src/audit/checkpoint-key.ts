/**
 * The Ed25519 key that signs the log's checkpoints, kept as a C2SP signer key string (the form
 * `golang.org/x/mod/sumdb/note` reads) in an owner-only file, for the embedded setup where no
 * secret manager holds it.
 * @module
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { listDirectory, writeFileAtomically } from '../files.js';
import { AuditError } from './errors.js';
import {
  AuditLogError,
  isValidKeyName,
  noteKeyHash,
  parseSignerKey,
  verifierKey,
  type NoteSigner,
} from './tlog/index.js';

/** A checkpoint key loaded or created by `loadOrCreateCheckpointKey`. */
export interface CheckpointKey {
  /** Signs checkpoints; pass it to `createAuditLog`. */
  readonly signer: NoteSigner;
  /** The verifier key string to publish, and to hand to `verifyAuditLog` via `parseVerifierKey`. */
  readonly verifierKey: string;
  /** Whether this call generated the key. */
  readonly created: boolean;
}

const MAX_KEY_FILE_BYTES = 1024;

/**
 * Loads the signer key named `name` from `dir`, or generates one there: the directory is made
 * 0700 and the file 0600, and either is refused when others may read it. Two processes that
 * start at once end up with the same key.
 * @throws {AuditError} `ERR_AUDIT_KEY_FILE` when the file or directory is readable by others,
 *   or the file does not hold a signer key for `name`.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` when `name` cannot name a note key.
 * @example
 * const key = await loadOrCreateCheckpointKey('.data/secrets/audit', 'audit.example.com/log');
 * const log = createAuditLog({ store, signer: key.signer, origin: 'audit.example.com/log' });
 */
export async function loadOrCreateCheckpointKey(dir: string, name: string): Promise<CheckpointKey> {
  if (!isValidKeyName(name)) {
    throw new AuditLogError('ERR_AUDIT_KEY_INVALID', 'A checkpoint key name has no spaces or +.');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await requirePrivate(dir, 'directory');

  const file = keyFileName(name);
  let created = false;
  try {
    await writeFileAtomically(dir, file, `${newSignerKey(name)}\n`, { exclusive: true });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }

  const path = join(dir, file);
  await requirePrivate(path, 'file');
  const text = await readFile(path, 'utf8');
  let signer: NoteSigner;
  try {
    if (text.length > MAX_KEY_FILE_BYTES) throw new RangeError('too long');
    signer = parseSignerKey(text.trim());
  } catch (cause) {
    throw new AuditError('ERR_AUDIT_KEY_FILE', 'The checkpoint key file is not valid.', {
      cause,
    });
  }
  if (signer.name !== name) {
    throw new AuditError('ERR_AUDIT_KEY_FILE', 'The checkpoint key file names another key.');
  }
  return { signer, verifierKey: verifierKey(name, signer.privateKey), created };
}

/** The file name for key `name`, which may hold `/` and other characters a path cannot. */
function keyFileName(name: string): string {
  return `${encodeURIComponent(name)}.key`;
}

function newSignerKey(name: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // The last 32 bytes of an Ed25519 PKCS #8 DER (RFC 8410) are the seed the key string holds.
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const hash = noteKeyHash(name, publicKey).toString(16).padStart(8, '0');
  const encoded = Buffer.concat([Buffer.from([0x01]), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${hash}+${encoded}`;
}

async function requirePrivate(path: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    throw new AuditError('ERR_AUDIT_KEY_FILE', `The checkpoint key ${what} is open to others.`);
  }
}

/** Retired keys move here, named by their key hash, so their checkpoints stay verifiable. */
const RETIRED = 'retired';

/**
 * Replaces the checkpoint key named `name` with a new one. The old key moves to `retired/` under
 * its key hash; `checkpointVerifierKeys` still returns it, so checkpoints it signed verify.
 * Running servers take up the new key within seconds (they watch the file).
 */
export async function rotateCheckpointKey(dir: string, name: string): Promise<CheckpointKey> {
  const current = await loadOrCreateCheckpointKey(dir, name);
  const hash = noteKeyHash(name, createPublicKey(current.signer.privateKey))
    .toString(16)
    .padStart(8, '0');
  const retiredDir = join(dir, RETIRED);
  await mkdir(retiredDir, { recursive: true, mode: 0o700 });
  await writeFileAtomically(
    retiredDir,
    `${keyFileName(name)}.${hash}`,
    `${await readFile(join(dir, keyFileName(name)), 'utf8')}`,
  );
  await writeFileAtomically(dir, keyFileName(name), `${newSignerKey(name)}\n`);
  return loadOrCreateCheckpointKey(dir, name);
}

/** The verifier keys of the current checkpoint key and of every retired one, current first. */
export async function checkpointVerifierKeys(dir: string, name: string): Promise<string[]> {
  const current = await loadOrCreateCheckpointKey(dir, name);
  const keys = [current.verifierKey];
  const retiredDir = join(dir, RETIRED);
  const prefix = `${keyFileName(name)}.`;
  for (const file of (await listDirectory(retiredDir)).filter((f) => f.startsWith(prefix)).sort()) {
    await requirePrivate(join(retiredDir, file), 'file');
    const signer = parseSignerKey((await readFile(join(retiredDir, file), 'utf8')).trim());
    keys.push(verifierKey(name, signer.privateKey));
  }
  return keys;
}
