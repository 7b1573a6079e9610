/**
 * Small file-system steps the Node-side stores share: listing a directory that may not exist
 * yet, and writing a file so that no reader ever sees it half-written.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The names in `dir`; none when the directory does not exist yet. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Writes `content` to `dir/name` readable by the owner only (0600): to a temporary file first
 * (`.name.<random>.tmp`, which readers skip), flushed to disk, then moved into place, so a crash
 * leaves either the old file or the new one. With `exclusive`, an existing file is not replaced
 * and the call fails with `EEXIST`.
 */
export async function writeFileAtomically(
  dir: string,
  name: string,
  content: string,
  options: { readonly exclusive?: boolean } = {},
): Promise<void> {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // link() refuses an existing target, where rename() would replace it.
    if (options.exclusive === true) await link(temporary, join(dir, name));
    else await rename(temporary, join(dir, name));
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
