/**
 * Opening a file store after a clean stop or a crash. A batch is acknowledged only once its
 * lines are written and synced, so an acknowledged record is always a whole line: a last line
 * without its newline was never acknowledged, and is moved to `torn/` rather than kept. Every
 * whole line of the last segment must then read back as the record its position calls for, and
 * match the leaf hash stored for it; the tree files, which are not synced per batch, are cut
 * back to what every level agrees on and their tail rebuilt from the records.
 * @module
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { readRecord } from '../entry.js';
import { AuditError } from '../errors.js';
import { stateAt } from '../nodes.js';
import { createTreeBuilder, equalHashes, leafHash, type TreeBuilder } from '../tlog/index.js';
import { CHECKPOINTS_FILE, listSegments, readLines, TORN_DIR, type Segment } from './layout.js';
import { LEVELS, type TreeFiles } from './tree-files.js';

/** Where the store resumes: the last segment and its size, and the tree over every record. */
export interface Recovered {
  readonly segment: Segment | undefined;
  readonly segmentEntries: number;
  readonly segmentBytes: number;
  readonly tree: TreeBuilder;
}

/** Checks and repairs the tail of the store in `dir`, and resumes its tree. */
export async function recover(dir: string, tree: TreeFiles): Promise<Recovered> {
  const segments = await listSegments(dir);
  segments.forEach((segment, i) => {
    const previous = segments[i - 1];
    if (i === 0 ? segment.firstSeq !== 0 : segment.firstSeq <= (previous as Segment).firstSeq) {
      corrupt('the segment names do not start at 0 and rise');
    }
  });
  await dropTornTail(dir, CHECKPOINTS_FILE, 'checkpoints');

  const segment = segments[segments.length - 1];
  if (segment === undefined) {
    await trimTree(tree, 0);
    return { segment, segmentEntries: 0, segmentBytes: 0, tree: createTreeBuilder() };
  }

  const segmentBytes = await dropTornTail(dir, segment.name, segment.name);
  const leaves: Uint8Array[] = [];
  for await (const line of readLines(join(dir, segment.name))) {
    const record = readRecord(line.bytes);
    if (record?.seq !== segment.firstSeq + leaves.length) {
      corrupt(`record ${segment.firstSeq + leaves.length} does not read back`);
    }
    leaves.push(leafHash(line.bytes));
  }
  const size = segment.firstSeq + leaves.length;

  const agreed = await trimTree(tree, size);
  const checked = Math.max(agreed, segment.firstSeq) - segment.firstSeq;
  const stored = await tree.read(
    Array.from({ length: checked }, (_, i) => ({ level: 0, index: segment.firstSeq + i })),
  );
  stored.forEach((hash, i) => {
    if (!equalHashes(hash, leaves[i] as Uint8Array)) {
      corrupt(`record ${segment.firstSeq + i} no longer matches its stored leaf hash`);
    }
  });

  const builder = createTreeBuilder(await stateAt(tree.read, agreed));
  for (const [i, earlier] of segments.slice(0, -1).entries()) {
    const end = (segments[i + 1] as Segment).firstSeq;
    if (end > agreed) await rehash(dir, earlier, end, agreed, builder, tree);
  }
  await appendLeaves(builder, tree, leaves.slice(checked));

  return { segment, segmentEntries: leaves.length, segmentBytes, tree: builder };
}

/** Rebuilds the tree from the records of an earlier segment, from seq `from` on. */
async function rehash(
  dir: string,
  segment: Segment,
  end: number,
  from: number,
  builder: TreeBuilder,
  tree: TreeFiles,
): Promise<void> {
  const leaves: Uint8Array[] = [];
  let seq = segment.firstSeq;
  for await (const line of readLines(join(dir, segment.name))) {
    if (seq >= from) {
      if (readRecord(line.bytes)?.seq !== seq) corrupt(`record ${seq} does not read back`);
      leaves.push(leafHash(line.bytes));
    }
    seq++;
  }
  if (seq !== end) corrupt(`segment ${segment.name} does not end where the next one starts`);
  await appendLeaves(builder, tree, leaves);
}

async function appendLeaves(builder: TreeBuilder, tree: TreeFiles, leaves: Uint8Array[]) {
  const added: Uint8Array[][] = [];
  for (const leaf of leaves) {
    builder.append(leaf, (level, _index, hash) => (added[level] ??= []).push(hash));
  }
  await tree.append(Array.from(added, (list) => list ?? []));
}

/**
 * Cuts every level back to the largest size `≤ size` that all levels fully cover, and returns
 * that size: the tree files are written after the records and not synced, so after a crash a
 * level may lag behind the others.
 */
async function trimTree(tree: TreeFiles, size: number): Promise<number> {
  // Size m needs floor(m / 2^L) nodes on every level L, that is m ≤ (count(L) + 1)·2^L − 1.
  let agreed = Math.min(size, tree.count(0));
  for (let level = 1; level < LEVELS; level++) {
    agreed = Math.min(agreed, (tree.count(level) + 1) * 2 ** level - 1);
  }
  for (let level = 0; level < LEVELS; level++) {
    await tree.truncate(level, Math.floor(agreed / 2 ** level));
  }
  return agreed;
}

/**
 * Moves bytes after the last newline of `dir/name` into `torn/` and cuts them off, synced.
 * Returns the file's size afterwards.
 */
async function dropTornTail(dir: string, name: string, label: string): Promise<number> {
  let handle;
  try {
    handle = await open(join(dir, name), 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }

  try {
    const { size } = await handle.stat();
    let end = size;
    const block = Buffer.alloc(64 * 1024);
    for (let at = size; at > 0 && end === size;) {
      const start = Math.max(0, at - block.length);
      const { bytesRead } = await handle.read(block, 0, at - start, start);
      const newline = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) end = start + newline + 1;
      else if (start === 0) end = 0;
      at = start;
    }
    if (end === size) return size;

    const torn = Buffer.alloc(size - end);
    await handle.read(torn, 0, torn.length, end);
    await mkdir(join(dir, TORN_DIR), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, TORN_DIR, `${label}.${end}.${Date.now()}.bin`), torn, {
      mode: 0o600,
    });
    await handle.truncate(end);
    await handle.datasync();
    return end;
  } finally {
    await handle.close();
  }
}

function corrupt(rule: string): never {
  throw new AuditError(
    'ERR_AUDIT_STORE_CORRUPT',
    `The audit log cannot be resumed: ${rule}; run verifyAuditLog to locate the damage.`,
  );
}
