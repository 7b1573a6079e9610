/**
 * Read-only secrets from a directory the platform mounts: Docker secrets (`/run/secrets/<name>`)
 * and Kubernetes secret volumes. Each file is one secret, its content the value; a `/` in a name
 * is a sub-directory. Kubernetes makes every entry a symbolic link through `..data` to a
 * timestamped directory and swaps `..data` atomically on update, so links are followed here,
 * and entries starting with `.` are never secrets.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { GatehouseError } from '../errors.js';
import { readCheckedFile, type ReadableBy } from './file-access.js';
import { assertSecretName, isSecretName } from './names.js';
import { readOnlyError, type SecretMetadata, type SecretProvider } from './provider.js';

/** Options of `createMountSecretProvider`. */
export interface MountSecretProviderOptions {
  /** The mounted directory, such as `/run/secrets`. */
  readonly dir: string;
  /**
   * Who besides the owner may read a secret file before it is refused with
   * `ERR_SECRET_FILE_UNSAFE`. Docker mounts secrets `0444` and Kubernetes `0644` unless the
   * volume sets `defaultMode`: `anyone` accepts those, which is only safe when nothing else
   * runs in the container. Prefer `defaultMode: 0400` (or `0440` with `fsGroup` and `group`).
   * @default 'owner'
   */
  readonly tolerateReadableBy?: ReadableBy;
}

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_DEPTH = 16;

/**
 * A read-only `files` provider over a mounted directory. Metadata has no version, and both of
 * its dates are the file's modification time: a mount knows only its current content.
 * @example
 * const secrets = createMountSecretProvider({ dir: '/run/secrets', tolerateReadableBy: 'group' });
 */
export function createMountSecretProvider(options: MountSecretProviderOptions): SecretProvider {
  const { dir } = options;
  const readableBy = options.tolerateReadableBy ?? 'owner';
  if (!['owner', 'group', 'anyone'].includes(readableBy)) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'tolerateReadableBy is owner, group or anyone');
  }

  const read = (name: string, content: boolean) =>
    readCheckedFile(join(dir, ...name.split('/')), name, {
      readableBy,
      refuseSymlinks: false,
      requireOwner: false,
      maxBytes: MAX_FILE_BYTES,
      content,
    });

  async function collectNames(path: string, prefix: string, depth: number): Promise<string[]> {
    if (depth > MAX_DEPTH) return [];
    const entries = await readdir(path).catch(() => []);
    const names: string[] = [];
    for (const entry of entries) {
      const name = prefix === '' ? entry : `${prefix}/${entry}`;
      if (!isSecretName(name)) continue;
      // stat follows the links Kubernetes puts in place of every entry.
      const stats = await stat(join(path, entry)).catch(() => undefined);
      if (stats?.isFile()) names.push(name);
      else if (stats?.isDirectory())
        names.push(...(await collectNames(join(path, entry), name, depth + 1)));
    }
    return names;
  }

  return {
    kind: 'files',
    writable: false,

    async get(name) {
      assertSecretName(name);
      const file = await read(name, true);
      if (!file) return undefined;
      return { value: new Uint8Array(file.bytes), metadata: mtimeMetadata(name, file.stats.mtime) };
    },

    async metadata(name) {
      assertSecretName(name);
      const file = await read(name, false);
      return file && mtimeMetadata(name, file.stats.mtime);
    },

    async list() {
      const listed: SecretMetadata[] = [];
      for (const name of (await collectNames(dir, '', 0)).sort()) {
        const metadata = await this.metadata(name);
        if (metadata) listed.push(metadata);
      }
      return listed;
    },

    async put(name) {
      assertSecretName(name);
      throw readOnlyError('files');
    },
  };
}

function mtimeMetadata(name: string, mtime: Date): SecretMetadata {
  return { name, version: undefined, createdAt: mtime, updatedAt: mtime };
}
