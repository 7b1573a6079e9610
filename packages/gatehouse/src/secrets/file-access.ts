/**
 * Reading a secret file the way ssh reads a private key: refused when others may read it.
 * The mode is checked on the opened descriptor, so the file checked is the file read.
 * @module
 */
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

import { GatehouseError } from '../errors.js';

/**
 * Who besides the owner may read a secret file before it is refused: `owner` (nobody else),
 * `group` (the owning group too), `anyone`. Anything wider than `owner` weakens the check.
 */
export type ReadableBy = 'owner' | 'group' | 'anyone';

/** The permission bits each setting forbids. */
const FORBIDDEN: Record<ReadableBy, number> = { owner: 0o077, group: 0o007, anyone: 0 };

export interface CheckedReadOptions {
  readonly readableBy: ReadableBy;
  /** Refuse a symbolic link instead of following it. */
  readonly refuseSymlinks: boolean;
  /** Refuse a file another user owns. */
  readonly requireOwner: boolean;
  readonly maxBytes: number;
  /** Whether to read the content, or only check and stat the file (for metadata). */
  readonly content: boolean;
}

/**
 * The file's bytes (empty unless `content` is set) and status, after the permission checks;
 * `undefined` when there is no regular file at `path`. `label` names the secret in errors.
 */
export async function readCheckedFile(
  path: string,
  label: string,
  options: CheckedReadOptions,
): Promise<{ bytes: Buffer; stats: Stats } | undefined> {
  const flags = constants.O_RDONLY | (options.refuseSymlinks ? constants.O_NOFOLLOW : 0);
  let handle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw unsafe(`secret "${label}" is a symbolic link`);
    if (code === 'EACCES') {
      throw new GatehouseError('ERR_SECRET_DENIED', `secret "${label}" cannot be opened`);
    }
    throw error;
  }

  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    assertSafeMode(stats, label, options);
    if (stats.size > options.maxBytes) {
      throw new GatehouseError('ERR_SECRET_INVALID', `secret "${label}" is too large`);
    }
    return { bytes: options.content ? await handle.readFile() : Buffer.alloc(0), stats };
  } finally {
    await handle.close();
  }
}

/**
 * Checks that `dir` is a directory no one but its owner may enter or list (`0700`), as the
 * writable store keeps it.
 */
export async function assertPrivateDirectory(dir: string, label: string): Promise<void> {
  const stats = await stat(dir);
  if (!stats.isDirectory()) throw unsafe(`the directory of secret "${label}" is not a directory`);
  if ((stats.mode & 0o077) !== 0) {
    throw unsafe(`the directory of secret "${label}" is open to other users (needs mode 0700)`);
  }
}

function assertSafeMode(stats: Stats, label: string, options: CheckedReadOptions): void {
  if ((stats.mode & FORBIDDEN[options.readableBy]) !== 0) {
    const expected = options.readableBy === 'owner' ? '0600 or 0400' : 'no access for others';
    throw unsafe(`secret "${label}" may be read by other users (needs ${expected})`);
  }
  const uid = process.getuid?.();
  if (options.requireOwner && uid !== undefined && stats.uid !== uid) {
    throw unsafe(`secret "${label}" belongs to another user`);
  }
}

function unsafe(message: string): GatehouseError {
  return new GatehouseError('ERR_SECRET_FILE_UNSAFE', message);
}
