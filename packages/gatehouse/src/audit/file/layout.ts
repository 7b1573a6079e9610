/**
 * The file store's directory: append-only segments of records, one canonical JSON record a
 * line; an append-only file of signed checkpoints, one `{"note": …}` line each; one file of
 * 32-byte node hashes per tree level; and the torn tails recovery set aside.
 *
 * ```
 * <dir>/segment-000000000000.jsonl   records 0 … (name: the first record's seq)
 * <dir>/checkpoints.jsonl
 * <dir>/tree/level-00.bin            leaf hashes; level-01.bin the pairs above them, …
 * <dir>/torn/                        bytes dropped from an unacknowledged partial last line
 * ```
 * @module
 */
import { open } from 'node:fs/promises';

import { listDirectory } from '../../files.js';

/** The checkpoints file's name. */
export const CHECKPOINTS_FILE = 'checkpoints.jsonl';
/** The folder of tree level files. */
export const TREE_DIR = 'tree';
/** The folder recovery moves torn tails into. */
export const TORN_DIR = 'torn';

const SEGMENT = /^segment-([0-9]{12,15})\.jsonl$/;
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** A segment file and the seq its name says it starts at. */
export interface Segment {
  readonly name: string;
  readonly firstSeq: number;
}

/** The name of the segment whose first record has `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `segment-${String(firstSeq).padStart(12, '0')}.jsonl`;
}

/** The name of the file holding tree level `level`. */
export function levelName(level: number): string {
  return `level-${String(level).padStart(2, '0')}.bin`;
}

/** The segments in `dir`, in order of their first seq. */
export async function listSegments(dir: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  for (const name of await listDirectory(dir)) {
    const match = SEGMENT.exec(name);
    if (match !== null) segments.push({ name, firstSeq: Number(match[1]) });
  }
  return segments.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** One line of a file, without its newline; `terminated` is false for a last line cut short. */
export interface Line {
  readonly bytes: Buffer;
  /** Where the line starts in the file. */
  readonly offset: number;
  readonly terminated: boolean;
}

/** The lines of a file, read in 1 MiB chunks; nothing when it does not exist. */
export async function* readLines(path: string): AsyncGenerator<Line> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }

  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    let carryOffset = 0;
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      position += bytesRead;

      let data = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
        yield { bytes: data.subarray(start, end), offset: carryOffset + start, terminated: true };
        start = end + 1;
      }
      carryOffset += start;
      data = data.subarray(start);
      carry = Buffer.from(data);
    }
    if (carry.length > 0) yield { bytes: carry, offset: carryOffset, terminated: false };
  } finally {
    await handle.close();
  }
}
