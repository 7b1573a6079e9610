/**
 * The file store's Merkle tree nodes: one file per level, node `i` of level `L` (the root of
 * leaves `[i·2^L, (i+1)·2^L)`) at byte `32·i` of `tree/level-LL.bin`. These files are derived
 * from the segments and are not synced per batch: recovery trims and rebuilds their tail from
 * the records, and `verifyAuditLog` never trusts them for a root.
 * @module
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { listDirectory } from '../../files.js';
import { AuditError } from '../errors.js';
import type { NodeKey } from '../store.js';
import { HASH_SIZE } from '../tlog/index.js';
import { levelName, TREE_DIR } from './layout.js';

/** The levels a tree of up to 2^53 leaves has. */
export const LEVELS = 54;

/** The node files of one file store, open for appending and positional reads. */
export interface TreeFiles {
  /** Nodes level `level` holds. */
  count(level: number): number;
  read(keys: readonly NodeKey[]): Promise<Uint8Array[]>;
  /** Appends nodes, each level's in index order; `nodes[level]` may be empty. */
  append(nodes: readonly (readonly Uint8Array[])[]): Promise<void>;
  /** Cuts level `level` down to `count` nodes. */
  truncate(level: number, count: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating) the tree files under `dir/tree`, cutting any partial hash off each level. */
export async function openTreeFiles(dir: string): Promise<TreeFiles> {
  const treeDir = join(dir, TREE_DIR);
  await mkdir(treeDir, { recursive: true, mode: 0o700 });

  const handles = new Map<number, FileHandle>();
  const counts: number[] = [];
  const handle = async (level: number): Promise<FileHandle> => {
    const found = handles.get(level);
    if (found !== undefined) return found;
    if (!Number.isInteger(level) || level < 0 || level >= LEVELS) {
      throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A tree level is out of range.');
    }
    const opened = await open(join(treeDir, levelName(level)), 'a+', 0o600);
    handles.set(level, opened);
    return opened;
  };
  const closeAll = async () => {
    await Promise.all([...handles.values()].map((h) => h.close()));
    handles.clear();
  };

  try {
    const names = new Set(await listDirectory(treeDir));
    for (let level = 0; level < LEVELS && names.has(levelName(level)); level++) {
      const opened = await handle(level);
      const { size } = await opened.stat();
      const count = Math.floor(size / HASH_SIZE);
      counts[level] = count;
      if (size % HASH_SIZE !== 0) await opened.truncate(count * HASH_SIZE);
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  return {
    count: (level) => counts[level] ?? 0,
    read: (keys) =>
      Promise.all(
        keys.map(async ({ level, index }) => {
          if (index >= (counts[level] ?? 0)) {
            throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A tree node is not stored.');
          }
          const hash = new Uint8Array(HASH_SIZE);
          const read = await (await handle(level)).read(hash, 0, HASH_SIZE, index * HASH_SIZE);
          if (read.bytesRead !== HASH_SIZE) {
            throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A tree node is cut short.');
          }
          return hash;
        }),
      ),
    append: async (nodes) => {
      for (const [level, list] of nodes.entries()) {
        if (list.length === 0) continue;
        await (await handle(level)).write(Buffer.concat(list));
        counts[level] = (counts[level] ?? 0) + list.length;
      }
    },
    truncate: async (level, count) => {
      if (count >= (counts[level] ?? 0)) return;
      await (await handle(level)).truncate(count * HASH_SIZE);
      counts[level] = count;
    },
    close: closeAll,
  };
}
