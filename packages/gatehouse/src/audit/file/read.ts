/**
 * Reading records back from a file store's segments: a range by sequence number, and a scan
 * for the admin query. The query reads every segment after `after`, so it costs O(n) reads;
 * that is the file store's trade for needing nothing but a directory.
 * @module
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';

import { readRecord, type AuditRecord } from '../entry.js';
import { AuditError } from '../errors.js';
import { matchesQuery } from '../query.js';
import type { AuditQuery } from '../store.js';
import { listSegments, readLines, type Segment } from './layout.js';

/** The records with `seq` in `[start, end)`, which the caller knows to be stored. */
export async function readRange(dir: string, start: number, end: number): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  if (start >= end) return records;

  for (const segment of await segmentsFrom(dir, start)) {
    for await (const record of recordsOf(dir, segment)) {
      if (record.seq >= end) return records;
      if (record.seq >= start) records.push(record);
    }
  }
  return records;
}

/** The records matching `filter`, in `seq` order, at most `filter.limit` of them. */
export async function queryFiles(dir: string, filter: AuditQuery): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (const segment of await segmentsFrom(dir, (filter.after ?? -1) + 1)) {
    for await (const record of recordsOf(dir, segment)) {
      if (!matchesQuery(record, filter)) continue;
      records.push(record);
      if (records.length === filter.limit) return records;
    }
  }
  return records;
}

/** Makes the directory's entries (a new segment's name) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function segmentsFrom(dir: string, seq: number): Promise<Segment[]> {
  const segments = await listSegments(dir);
  const next = segments.findIndex((segment) => segment.firstSeq > seq);
  return next < 0 ? segments.slice(-1) : segments.slice(Math.max(0, next - 1));
}

async function* recordsOf(dir: string, segment: Segment): AsyncGenerator<AuditRecord> {
  for await (const line of readLines(join(dir, segment.name))) {
    if (!line.terminated) return;
    const record = readRecord(line.bytes);
    if (record === undefined) {
      throw new AuditError('ERR_AUDIT_STORE_CORRUPT', `A record in ${segment.name} is unreadable.`);
    }
    yield record;
  }
}
