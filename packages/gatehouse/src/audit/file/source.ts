/**
 * Reading a file store's directory as it lies on disk, without opening it for writing and
 * without recovery: what `verifyAuditLog` needs, and what it must still have when the store
 * refuses to open because its records no longer match.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import type { AuditLogSource, StoredRecord } from '../store.js';
import { HASH_SIZE } from '../tlog/index.js';
import { CHECKPOINTS_FILE, levelName, listSegments, readLines, TREE_DIR } from './layout.js';

const LEAVES_PER_READ = 4096;

/**
 * The records and checkpoints in a file store's directory. A last line still being written
 * (no newline yet) is left out, as recovery would drop it; a cut line anywhere else is a record
 * that verification will refuse.
 * @example
 * const result = await verifyAuditLog(fileAuditSource('.data/audit'), { verifiers, origin });
 */
export function fileAuditSource(dir: string): AuditLogSource {
  return {
    records: () => records(dir),
    checkpoints: () => readCheckpoints(dir),
  };
}

async function* records(dir: string): AsyncGenerator<StoredRecord> {
  const segments = await listSegments(dir);
  const leaves = await openLeaves(dir);
  try {
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      for await (const line of readLines(join(dir, segment.name))) {
        if (!line.terminated && last) break;
        const leaf = await leaves.next();
        yield leaf === undefined ? { bytes: line.bytes } : { bytes: line.bytes, leaf };
      }
    }
  } finally {
    await leaves.close();
  }
}

/** The signed notes in the checkpoints file; a line that is not `{"note": string}` as is. */
export async function readCheckpoints(dir: string): Promise<string[]> {
  const notes: string[] = [];
  for await (const line of readLines(join(dir, CHECKPOINTS_FILE))) {
    if (!line.terminated) break;
    notes.push(noteOf(line.bytes.toString('utf8')));
  }
  return notes;
}

function noteOf(line: string): string {
  try {
    const value: unknown = JSON.parse(line);
    const note = (value as { note?: unknown } | null)?.note;
    return typeof note === 'string' ? note : line;
  } catch {
    return line;
  }
}

/** Leaf hashes from `tree/level-00.bin`, in order, read a block at a time. */
async function openLeaves(dir: string) {
  let handle: FileHandle | undefined;
  try {
    handle = await open(join(dir, TREE_DIR, levelName(0)), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  const block = Buffer.alloc(HASH_SIZE * LEAVES_PER_READ);
  let available = 0;
  let used = 0;
  let position = 0;
  return {
    async next(): Promise<Uint8Array | undefined> {
      if (handle === undefined) return undefined;
      if (used + HASH_SIZE > available) {
        const { bytesRead } = await handle.read(block, 0, block.length, position);
        position += bytesRead;
        available = bytesRead;
        used = 0;
        if (bytesRead < HASH_SIZE) return undefined;
      }
      const leaf = new Uint8Array(block.subarray(used, used + HASH_SIZE));
      used += HASH_SIZE;
      return leaf;
    },
    close: async () => handle?.close(),
  };
}
