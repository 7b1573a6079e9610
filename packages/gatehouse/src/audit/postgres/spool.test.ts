import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { auditEntry, type AuditEntry } from '../entry.js';
import { sampleEntry } from '../test/support.js';
import { openSpool } from './spool.js';

let dir: string;
let path: string;
const entries = Array.from({ length: 5 }, (_, i) => auditEntry(sampleEntry(i)));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-spool-'));
  path = join(dir, 'spool', 'audit.jsonl');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the spool', () => {
  it('keeps entries owner-only and hands them back in order across a reopen', async () => {
    const spool = await openSpool(path);
    await spool.append(entries.slice(0, 3));
    await spool.append(entries.slice(3));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await spool.close();

    const reopened = await openSpool(path);
    expect(reopened.count).toBe(5);
    const drained: AuditEntry[] = [];
    expect(await reopened.drainSome(async (batch) => void drained.push(...batch))).toBe(5);
    expect(drained).toEqual(entries);
    expect(reopened.count).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('');
    await reopened.close();
  });

  it('keeps entries whose store failed, and drops a torn last line', async () => {
    const spool = await openSpool(path);
    await spool.append(entries.slice(0, 2));
    await expect(
      spool.drainSome(async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
    expect(spool.count).toBe(2);
    await spool.close();
    await appendFile(path, '{"action":"no');

    const reopened = await openSpool(path);
    expect(reopened.count).toBe(2);
    await reopened.append(entries.slice(2, 3));
    const drained: AuditEntry[] = [];
    await reopened.drainSome(async (batch) => void drained.push(...batch));
    expect(drained).toEqual(entries.slice(0, 3));
    await reopened.close();
  });
});
