/**
 * The embedded audit store: append-only files in a directory of its own (`.data/audit/` by
 * default), owner-only. A batch of records is one `write` and one `fdatasync` of the current
 * segment (two of each when it fills a segment), after which every entry in it is
 * acknowledged; the tree nodes follow unsynced, since recovery rebuilds them from the records.
 * @module
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { recordBytes } from '../entry.js';
import { AuditError } from '../errors.js';
import type { AuditStore, WriteOutcome } from '../store.js';
import { leafHash } from '../tlog/index.js';
import { readRange, queryFiles, syncDirectory } from './read.js';
import { CHECKPOINTS_FILE, segmentName } from './layout.js';
import { recover } from './recover.js';
import { fileAuditSource, readCheckpoints } from './source.js';
import { openTreeFiles } from './tree-files.js';

const NEWLINE = Buffer.from('\n');

/** Options of `openFileAuditStore`. */
export interface FileAuditStoreOptions {
  /** Start a new segment once the current one holds this many records. @default 100_000 */
  readonly segmentMaxEntries?: number;
  /** Start a new segment before the current one would pass this many bytes. @default 64 MiB */
  readonly segmentMaxBytes?: number;
}

/** Counters of the work a file store has done since it opened. */
export interface FileAuditStoreStats {
  /** Batches written. */
  readonly batches: number;
  /** `fdatasync` calls on segment files. */
  readonly syncs: number;
}

/** A file audit store, with counters for tests and benchmarks. */
export interface FileAuditStore extends AuditStore {
  stats(): FileAuditStoreStats;
}

/**
 * Opens the file store in `dir`, creating it (mode 0700) if needed. After a crash it drops an
 * unacknowledged partial last line into `dir/torn/`, checks the last segment against the
 * stored leaf hashes, and resumes the tree without rehashing older segments.
 * @throws {AuditError} `ERR_AUDIT_STORE_CORRUPT` when the tail of the log no longer reads back;
 *   `verifyAuditLog(fileAuditSource(dir), …)` then says where the damage starts.
 * @example
 * const store = await openFileAuditStore('.data/audit');
 */
export async function openFileAuditStore(
  dir: string,
  options: FileAuditStoreOptions = {},
): Promise<FileAuditStore> {
  const maxEntries = options.segmentMaxEntries ?? 100_000;
  const maxBytes = options.segmentMaxBytes ?? 64 * 1024 * 1024;
  if (!isPositive(maxEntries) || !isPositive(maxBytes)) {
    throw new AuditError('ERR_AUDIT_OPTIONS_INVALID', 'Segment limits are positive integers.');
  }

  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tree = await openTreeFiles(dir);
  const resumed = await recover(dir, tree).catch(async (error: unknown) => {
    await tree.close();
    throw error;
  });
  const builder = resumed.tree;
  let segment = resumed.segment ?? { name: segmentName(0), firstSeq: 0 };
  let segmentEntries = resumed.segmentEntries;
  let segmentBytes = resumed.segmentBytes;
  let handle: FileHandle = await open(join(dir, segment.name), 'a', 0o600);
  if (resumed.segment === undefined) await syncDirectory(dir);
  const checkpoints = await open(join(dir, CHECKPOINTS_FILE), 'a', 0o600);
  let latest = (await readCheckpoints(dir)).at(-1);

  let broken: unknown;
  let closed = false;
  let batches = 0;
  let syncs = 0;
  const source = fileAuditSource(dir);

  const roll = async (firstSeq: number): Promise<void> => {
    await handle.close();
    segment = { name: segmentName(firstSeq), firstSeq };
    handle = await open(join(dir, segment.name), 'a', 0o600);
    segmentEntries = 0;
    segmentBytes = 0;
    await syncDirectory(dir);
  };

  /** Writes and syncs the batch's lines; resolves to the first seq once they are durable. */
  const writeLines = async (lines: readonly Buffer[]): Promise<void> => {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      await handle.write(Buffer.concat(chunk));
      await handle.datasync();
      syncs++;
      segmentEntries += chunk.length;
      segmentBytes += chunkBytes;
      chunk = [];
      chunkBytes = 0;
    };

    for (const [i, line] of lines.entries()) {
      const count = segmentEntries + chunk.length;
      const tooLarge = segmentBytes + chunkBytes + line.length > maxBytes;
      if (count > 0 && (count >= maxEntries || tooLarge)) {
        await flush();
        await roll(builder.size + i);
      }
      chunk.push(line);
      chunkBytes += line.length;
    }
    await flush();
  };

  /** Adds the batch's leaves to the tree and appends the nodes they complete. */
  const growTree = async (lines: readonly Buffer[]): Promise<void> => {
    const added: Uint8Array[][] = [];
    for (const line of lines) {
      const leaf = leafHash(line.subarray(0, line.length - 1));
      builder.append(leaf, (level, _index, hash) => (added[level] ??= []).push(hash));
    }
    await tree.append(Array.from(added, (list) => list ?? []));
  };

  return {
    async write(batch) {
      if (closed || broken !== undefined) {
        const error =
          broken === undefined
            ? new AuditError('ERR_AUDIT_CLOSED', 'The audit store is closed.')
            : new AuditError(
                'ERR_AUDIT_UNAVAILABLE',
                'An earlier write failed; reopen the store.',
                {
                  cause: broken,
                },
              );
        return batch.map((): WriteOutcome => ({ status: 'failed', error }));
      }
      if (batch.length === 0) return [];

      const first = builder.size;
      const lines = batch.map(({ entry }, i) =>
        Buffer.concat([recordBytes(first + i, entry), NEWLINE]),
      );
      try {
        await writeLines(lines);
      } catch (error) {
        // What reached the disk is unknown until recovery looks at it, so stop writing.
        broken = error;
        return batch.map((): WriteOutcome => ({ status: 'failed', error }));
      }
      batches++;
      // The records are durable now; a failing tree file only stops later writes until reopen.
      await growTree(lines).catch((error: unknown) => {
        broken = error;
      });
      return batch.map((_, i): WriteOutcome => ({ status: 'stored', seq: first + i }));
    },
    size: async () => builder.size,
    nodes: (keys) => tree.read(keys),
    read: (start, end) => readRange(dir, start, Math.min(end, builder.size)),
    async addCheckpoint(_size, note) {
      if (closed) throw new AuditError('ERR_AUDIT_CLOSED', 'The audit store is closed.');
      await checkpoints.write(`${JSON.stringify({ note })}\n`);
      await checkpoints.datasync();
      latest = note;
    },
    latestCheckpoint: async () => latest,
    query: (filter) => queryFiles(dir, filter),
    records: () => source.records(),
    checkpoints: () => source.checkpoints(),
    spooled: () => 0,
    drain: async () => 0,
    stats: () => ({ batches, syncs }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([handle.close(), checkpoints.close(), tree.close()]);
    },
  };
}

function isPositive(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}
