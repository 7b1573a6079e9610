/**
 * The local spool of a PostgreSQL audit store: entries that could not be stored while the
 * database was unreachable, kept in order until it returns. Each spooled batch is one write and
 * one `fdatasync` of an owner-only JSON-lines file; a sidecar file records, as a byte offset,
 * how much of it has been drained. Entries carry no `seq`: they get theirs when drained, so the
 * log stays gapless however long the outage lasts.
 * @module
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import { canonicalJson } from '../tlog/index.js';
import type { AuditEntry } from '../entry.js';
import { AuditError } from '../errors.js';
import { writeFileAtomically } from '../../files.js';

/** Entries read from the spool in one go, at most. */
const READ_BATCH = 1000;
const READ_BYTES = 1 << 20;

/** The spool file and its drained offset. */
export interface Spool {
  /** Entries spooled and not yet drained. */
  readonly count: number;
  /** Appends entries, resolving once they are durable. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /**
   * Hands the oldest entries, up to 1000, to `store`, and marks them drained once it resolves.
   * Resolves to how many were drained; 0 when the spool is empty.
   */
  drainSome(store: (entries: AuditEntry[]) => Promise<void>): Promise<number>;
  close(): Promise<void>;
}

/** Opens (creating) the spool at `path`, dropping a torn last line, which was never acknowledged. */
export async function openSpool(path: string): Promise<Spool> {
  const dir = dirname(path);
  const offsetName = `${basename(path)}.drained`;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const handle: FileHandle = await open(path, 'a+', 0o600);

  let offset = await readOffset(`${path}.drained`);
  const setOffset = async (value: number) => {
    await writeFileAtomically(dir, offsetName, `${value}\n`);
    offset = value;
  };

  const file = await readFile(path);
  if (offset > file.length) await setOffset(0);
  const text = file.subarray(offset);
  const end = text.lastIndexOf(0x0a) + 1;
  let size = offset + end;
  if (size < file.length) {
    await handle.truncate(size);
    await handle.datasync();
  }
  let count = 0;
  for (let at = text.indexOf(0x0a); at >= 0 && at < end; at = text.indexOf(0x0a, at + 1)) count++;

  return {
    get count() {
      return count;
    },
    async append(entries) {
      if (entries.length === 0) return;
      const lines = entries.map((entry) => `${canonicalJson(entry)}\n`).join('');
      const bytes = Buffer.from(lines, 'utf8');
      await handle.write(bytes);
      await handle.datasync();
      size += bytes.length;
      count += entries.length;
    },
    async drainSome(store) {
      if (count === 0) return 0;
      const chunk = Buffer.alloc(Math.min(READ_BYTES, size - offset));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
      const lines: Buffer[] = [];
      let used = 0;
      for (
        let at = chunk.indexOf(0x0a);
        at >= 0 && at < bytesRead;
        at = chunk.indexOf(0x0a, used)
      ) {
        lines.push(chunk.subarray(used, at));
        used = at + 1;
        if (lines.length === READ_BATCH) break;
      }
      if (lines.length === 0) {
        throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A spooled entry is larger than 1 MiB.');
      }

      await store(lines.map((line) => JSON.parse(line.toString('utf8')) as AuditEntry));
      count -= lines.length;
      if (count > 0) {
        await setOffset(offset + used);
      } else {
        // Empty the spool before resetting the offset: a crash in between leaves an offset past
        // the end, which the next open reads as drained, never a second copy of the entries.
        await handle.truncate(0);
        await handle.datasync();
        size = 0;
        await setOffset(0);
      }
      return lines.length;
    },
    close: () => handle.close(),
  };
}

async function readOffset(path: string): Promise<number> {
  try {
    const value = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
