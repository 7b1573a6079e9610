/**
 * The embedded default: secrets in the app's own directory (`.data/secrets/`), one JSON file per
 * version. Files are `0600` and directories `0700` when written, and a file or directory others
 * may read is refused when read, as ssh refuses a private key.
 *
 * Layout: `<dir>/<name>/_v<N>.json`, where a `/` in the name is a sub-directory. No name segment
 * can start with `_`, so version files never collide with the directory of a longer name.
 * @module
 */
import { chmod, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { listDirectory, writeFileAtomically } from '../files.js';
import { assertPrivateDirectory, readCheckedFile } from './file-access.js';
import { assertSecretName, isSecretName } from './names.js';
import { secretBytes, type Secret, type SecretMetadata, type SecretProvider } from './provider.js';

/** Options of `createFileSecretProvider`. */
export interface FileSecretProviderOptions {
  /** The store's directory, created `0700` on the first `put`. */
  readonly dir: string;
  /**
   * How many versions of each secret are kept; older version files are deleted after a `put`.
   * @default 10
   */
  readonly maxVersions?: number;
  /** Milliseconds since the epoch, for version dates. @default Date.now */
  readonly clock?: () => number;
}

const VERSION_FILE = /^_v([1-9][0-9]{0,8})\.json$/;
/** Secrets are keys, passwords and certificates: a megabyte is far beyond any of them. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_DEPTH = 64;
const PUT_ATTEMPTS = 5;

const recordSchema = z.strictObject({
  name: z.string(),
  version: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  value: z.base64(),
});

type VersionRecord = z.infer<typeof recordSchema>;

/**
 * A writable provider over a private directory: every `put` adds a version file (`version` 1,
 * 2, ...), `get` reads the newest. Reads refuse files readable by group or others, symbolic
 * links, and files owned by another user, with `ERR_SECRET_FILE_UNSAFE`.
 * @example
 * const secrets = createFileSecretProvider({ dir: '.data/secrets' });
 * await secrets.put('db/password', generatedPassword);
 */
export function createFileSecretProvider(options: FileSecretProviderOptions): SecretProvider {
  const { dir } = options;
  const maxVersions = options.maxVersions ?? 10;
  const clock = options.clock ?? Date.now;
  if (!Number.isInteger(maxVersions) || maxVersions < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'maxVersions is a whole number from 1');
  }

  const secretDir = (name: string) => join(dir, ...name.split('/'));

  async function latest(name: string): Promise<VersionRecord | undefined> {
    const versions = await versionNumbers(secretDir(name));
    const newest = versions.at(-1);
    if (newest === undefined) return undefined;
    await assertPrivatePath(name);
    const record = await readRecord(join(secretDir(name), `_v${newest}.json`), name, newest);
    if (!record) throw corrupt(name);
    return record;
  }

  async function assertPrivatePath(name: string): Promise<void> {
    let path = dir;
    await assertPrivateDirectory(path, name);
    for (const segment of name.split('/')) {
      path = join(path, segment);
      await assertPrivateDirectory(path, name);
    }
  }

  async function makePrivatePath(name: string): Promise<void> {
    await mkdir(secretDir(name), { recursive: true, mode: 0o700 });
    let path = dir;
    await chmod(path, 0o700);
    for (const segment of name.split('/')) {
      path = join(path, segment);
      await chmod(path, 0o700);
    }
  }

  async function prune(name: string, current: number): Promise<void> {
    for (const version of await versionNumbers(secretDir(name))) {
      if (version > current - maxVersions) break;
      await unlink(join(secretDir(name), `_v${version}.json`)).catch(() => undefined);
    }
  }

  async function collectNames(path: string, prefix: string, depth: number): Promise<string[]> {
    if (depth > MAX_DEPTH) return [];
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    const names = entries.some((e) => e.isFile() && VERSION_FILE.test(e.name)) ? [prefix] : [];
    for (const entry of entries) {
      const child = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory() && isSecretName(child)) {
        names.push(...(await collectNames(join(path, entry.name), child, depth + 1)));
      }
    }
    return names.filter((n) => n !== '');
  }

  return {
    kind: 'files',
    writable: true,

    async get(name) {
      assertSecretName(name);
      const record = await latest(name);
      if (!record) return undefined;
      const secret: Secret = {
        value: new Uint8Array(Buffer.from(record.value, 'base64')),
        metadata: toMetadata(record),
      };
      return secret;
    },

    async metadata(name) {
      assertSecretName(name);
      const record = await latest(name);
      return record && toMetadata(record);
    },

    async list() {
      const names = (await collectNames(dir, '', 0)).sort();
      const listed: SecretMetadata[] = [];
      for (const name of names) {
        const record = await latest(name);
        if (record) listed.push(toMetadata(record));
      }
      return listed;
    },

    async put(name, value) {
      assertSecretName(name);
      const bytes = secretBytes(value);
      await makePrivatePath(name);

      for (let attempt = 0; attempt < PUT_ATTEMPTS; attempt += 1) {
        const previous = await latest(name);
        const now = new Date(clock()).toISOString();
        const record: VersionRecord = {
          name,
          version: (previous?.version ?? 0) + 1,
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
          value: Buffer.from(bytes).toString('base64'),
        };
        const file = `_v${record.version}.json`;
        try {
          await writeFileAtomically(secretDir(name), file, `${JSON.stringify(record)}\n`, {
            exclusive: true,
          });
        } catch (error) {
          // Another writer took this version number first: read again and take the next.
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw error;
        }
        await prune(name, record.version);
        return toMetadata(record);
      }
      throw new GatehouseError('ERR_SECRET_UNAVAILABLE', `secret "${name}" is being written`);
    },
  };
}

/** The version numbers in a secret's directory, oldest first. */
async function versionNumbers(path: string): Promise<number[]> {
  const names = await listDirectory(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return [];
    throw error;
  });
  return names
    .map((name) => VERSION_FILE.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

async function readRecord(
  path: string,
  name: string,
  version: number,
): Promise<VersionRecord | undefined> {
  const file = await readCheckedFile(path, name, {
    readableBy: 'owner',
    refuseSymlinks: true,
    requireOwner: true,
    maxBytes: MAX_FILE_BYTES,
    content: true,
  });
  if (!file) return undefined;

  let parsed: unknown;
  try {
    parsed = JSON.parse(file.bytes.toString('utf8'));
  } catch {
    throw corrupt(name);
  }
  const record = recordSchema.safeParse(parsed);
  if (!record.success || record.data.name !== name || record.data.version !== version) {
    throw corrupt(name);
  }
  return record.data;
}

function toMetadata(record: VersionRecord): SecretMetadata {
  return {
    name: record.name,
    version: String(record.version),
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
  };
}

function corrupt(name: string): GatehouseError {
  return new GatehouseError(
    'ERR_SECRET_INVALID',
    `the stored version of secret "${name}" is invalid`,
  );
}
