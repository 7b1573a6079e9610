import { appendFile, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createAuditLog, type AuditLog } from '../log.js';
import { NOW, ORIGIN, sampleEntry, testKey } from '../test/support.js';
import {
  leafHash,
  openCheckpoint,
  verifyConsistency,
  verifyInclusion,
  type NoteSigner,
  type NoteVerifier,
} from '../tlog/index.js';
import { verifyAuditLog } from '../verify.js';
import { levelName, segmentName, TREE_DIR } from './layout.js';
import { fileAuditSource } from './source.js';
import { openFileAuditStore, type FileAuditStoreOptions } from './store.js';

let dir: string;
let signer: NoteSigner;
let verifier: NoteVerifier;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
  ({ signer, verifier } = testKey());
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openLog(options: FileAuditStoreOptions = {}) {
  const store = await openFileAuditStore(dir, options);
  const log = createAuditLog({ store, signer, origin: ORIGIN, checkpointIntervalMs: 0 });
  return { store, log };
}

async function appendAll(log: AuditLog, from: number, to: number): Promise<number[]> {
  const receipts = await Promise.all(
    Array.from({ length: to - from }, (_, i) => log.append(sampleEntry(from + i))),
  );
  return receipts.map((r) => (r.status === 'stored' ? r.seq : -1));
}

const verify = (external?: string) =>
  verifyAuditLog(fileAuditSource(dir), {
    verifiers: [verifier],
    origin: ORIGIN,
    ...(external === undefined ? {} : { external }),
  });

describe('the file store', () => {
  it('says a checkpoint names another log when verified under the wrong origin', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 3);
    await log.close();
    const result = await verifyAuditLog(fileAuditSource(dir), {
      verifiers: [verifier],
      origin: 'elsewhere.example/audit',
    });
    expect(result.ok).toBe(false);
    expect(result.firstMismatch).toMatchObject({ kind: 'other-log' });
    expect(result.firstMismatch?.detail).toContain(ORIGIN);
  });

  it('keeps verifying across a rotation of the checkpoint key', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 4);
    await log.checkpoint();
    const next = testKey();
    log.useSigner(next.signer);
    await appendAll(log, 4, 8);
    const signed = await log.checkpoint();
    expect(signed.size).toBe(8);
    await log.close();

    const result = await verifyAuditLog(fileAuditSource(dir), {
      verifiers: [verifier, next.verifier],
      origin: ORIGIN,
    });
    expect(result).toMatchObject({ ok: true, entries: 8 });
    expect(result.checkpoints).toBeGreaterThanOrEqual(2);
  });

  it('signs checkpoints and serves proofs while batches are being written', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 3);
    const work: Promise<unknown>[] = [];
    for (let round = 0; round < 30; round += 1) {
      for (let i = 0; i < 5; i += 1) {
        work.push(log.append(sampleEntry(round * 10 + i), { durable: round % 2 === 0 }));
      }
      work.push(log.checkpoint(), log.inclusionProof(0), log.consistencyProof(1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(Promise.all(work)).resolves.toBeDefined();
    await log.close();
    expect((await verify()).ok).toBe(true);
  });

  it('numbers records from 0, reads them back, and resumes after a reopen', async () => {
    const first = await openLog();
    expect(await appendAll(first.log, 0, 5)).toEqual([0, 1, 2, 3, 4]);
    await first.log.close();

    const second = await openLog();
    expect(await second.store.size()).toBe(5);
    expect(await appendAll(second.log, 5, 8)).toEqual([5, 6, 7]);
    const records = await second.store.read(3, 6);
    expect(records.map((r) => [r.seq, r.resource])).toEqual([
      [3, 'notes/3'],
      [4, 'notes/4'],
      [5, 'notes/5'],
    ]);
    await second.log.close();

    const lines = (await readFile(join(dir, segmentName(0)), 'utf8')).split('\n');
    expect(lines[0]).toMatch(/^\{"action":"notes\.read","actor":\{"id":"u0","kind":"user"\}/);
    expect(lines[0]).toContain('"seq":0');
    expect(await verify()).toMatchObject({ ok: true, entries: 8, checkpoints: 2 });
  });

  it('writes concurrent appends in a few batches with one sync each', async () => {
    const { store, log } = await openLog();
    const seqs = await appendAll(log, 0, 200);

    expect(new Set(seqs).size).toBe(200);
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(199);
    expect(store.stats().batches).toBeLessThanOrEqual(2);
    expect(store.stats().syncs).toBe(store.stats().batches);
    await log.close();
  });

  it('resolves a non-durable append at once and writes it with the next batch', async () => {
    const { store, log } = await openLog();
    await expect(log.append(sampleEntry(0), { durable: false })).resolves.toEqual({
      status: 'queued',
    });
    expect(await store.size()).toBe(0);

    await log.flush();
    expect(await store.size()).toBe(1);
    await log.close();
  });

  it('rolls segments at the entry limit and still verifies', async () => {
    const { log } = await openLog({ segmentMaxEntries: 4 });
    await appendAll(log, 0, 10);
    await log.close();

    const names = (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort();
    expect(names).toEqual([segmentName(0), segmentName(4), segmentName(8)]);
    const reopened = await openLog({ segmentMaxEntries: 4 });
    expect(await appendAll(reopened.log, 10, 11)).toEqual([10]);
    await reopened.log.close();
    expect(await verify()).toMatchObject({ ok: true, entries: 11 });
  });

  it('drops an unacknowledged partial last line after a crash, keeping it aside', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 3);
    await log.close();
    await appendFile(join(dir, segmentName(0)), '{"action":"notes.re');

    const reopened = await openLog();
    expect(await reopened.store.size()).toBe(3);
    expect(await readdir(join(dir, 'torn'))).toHaveLength(1);
    expect(await appendAll(reopened.log, 3, 4)).toEqual([3]);
    await reopened.log.close();
    expect(await verify()).toMatchObject({ ok: true, entries: 4 });
  });

  it('rebuilds tree files that lag behind the records', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 9);
    const before = await log.checkpoint();
    await log.close();
    await truncate(join(dir, TREE_DIR, levelName(0)), 32 * 5);
    await rm(join(dir, TREE_DIR, levelName(2)));

    const reopened = await openLog();
    const proof = await reopened.log.consistencyProof(before.size);
    expect(proof.newRoot).toEqual(before.root);
    await reopened.log.close();
  });

  it('refuses to resume when a record of the last segment was changed', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 3);
    await log.close();
    await replaceLine(1, (line) => line.replace('notes/1', 'notes/9'));

    await expect(openFileAuditStore(dir)).rejects.toMatchObject({
      code: 'ERR_AUDIT_STORE_CORRUPT',
    });
  });
});

describe('proofs and checkpoints from the engine', () => {
  it('serve inclusion and consistency proofs that the tlog verifiers accept', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 6);
    const old = await log.checkpoint();
    await appendAll(log, 6, 13);
    const latest = await log.checkpoint();

    const opened = openCheckpoint(latest.note, [verifier], ORIGIN).checkpoint;
    expect(opened).toMatchObject({ origin: ORIGIN, size: 13 });
    for (const seq of [0, 5, 12]) {
      const inclusion = await log.inclusionProof(seq, latest.size);
      expect(inclusion.record.seq).toBe(seq);
      const bytes = new TextEncoder().encode(JSON.stringify(canonicalOrder(inclusion.record)));
      expect(inclusion.leafHash).toEqual(leafHash(bytes));
      expect(
        verifyInclusion(inclusion.leafHash, seq, latest.size, inclusion.proof, opened.root),
      ).toBe(true);
    }
    const consistency = await log.consistencyProof(old.size, latest.size);
    expect(verifyConsistency(old.size, latest.size, old.root, opened.root, consistency.proof)).toBe(
      true,
    );
    await log.close();
  });

  it('signs a final checkpoint on close, and none when nothing changed', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 3);
    await log.close();
    const reopened = await openLog();
    await reopened.log.close();

    const result = await verify();
    expect(result).toMatchObject({ ok: true, checkpoints: 1, latest: { size: 3 } });
  });

  it('signs checkpoints on a schedule once entries were added', async () => {
    const store = await openFileAuditStore(dir);
    const log = createAuditLog({ store, signer, origin: ORIGIN, checkpointIntervalMs: 10 });
    await appendAll(log, 0, 2);
    await expect.poll(async () => (await log.latestCheckpoint())?.size).toBe(2);
    await log.close();
  });

  it('pages through a query by actor and time', async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 12);
    const first = await log.query({ actor: 'u1', limit: 2 });
    expect(first.records.map((r) => r.seq)).toEqual([1, 4]);
    const second = await log.query({ actor: 'u1', limit: 2, after: first.next as number });
    expect(second.records.map((r) => r.seq)).toEqual([7, 10]);
    const window = await log.query({
      from: new Date(NOW + 3 * 60_000),
      to: new Date(NOW + 5 * 60_000),
      limit: 10,
    });
    expect(window.records.map((r) => r.seq)).toEqual([3, 4]);
    await expect(log.query({ limit: 0 })).rejects.toMatchObject({
      code: 'ERR_AUDIT_OPTIONS_INVALID',
    });
    await log.close();
  });
});

describe('verifyAuditLog on a tampered file store', () => {
  let external: string;

  beforeEach(async () => {
    const { log } = await openLog();
    await appendAll(log, 0, 10);
    await log.checkpoint();
    await appendAll(log, 10, 20);
    external = (await log.checkpoint()).note;
    await log.close();
  });

  it('finds a changed byte', async () => {
    await replaceLine(7, (line) => line.replace('notes/7', 'notes/8'));
    expect((await verify()).firstMismatch).toMatchObject({ index: 7, kind: 'changed' });
  });

  it('finds a change that the tree files were rewritten to hide, by the signed root', async () => {
    await replaceLine(13, (line) => line.replace('notes/13', 'notes/31'));
    await rm(join(dir, TREE_DIR), { recursive: true });
    expect((await verify()).firstMismatch).toMatchObject({
      index: 10,
      kind: 'changed',
      checkpoint: 1,
    });
  });

  it('finds a deleted line', async () => {
    await editLines((lines) => lines.toSpliced(7, 1));
    expect((await verify()).firstMismatch).toMatchObject({ index: 7, kind: 'deleted' });
  });

  it('finds two swapped lines', async () => {
    await editLines((lines) => lines.toSpliced(7, 2, lines[8] as string, lines[7] as string));
    expect((await verify()).firstMismatch).toMatchObject({ index: 7, kind: 'reordered' });
  });

  it('finds an inserted line', async () => {
    await editLines((lines) => lines.toSpliced(7, 0, lines[3] as string));
    expect((await verify()).firstMismatch).toMatchObject({ index: 7, kind: 'inserted' });
  });

  it('finds records cut off behind a stored checkpoint', async () => {
    await editLines((lines) => lines.slice(0, 15));
    expect((await verify()).firstMismatch).toMatchObject({
      index: 15,
      kind: 'truncated',
      checkpoint: 1,
    });
  });

  it('finds the newest records cut off with their checkpoint only against a kept copy', async () => {
    await editLines((lines) => lines.slice(0, 15));
    const notes = (await readFile(join(dir, 'checkpoints.jsonl'), 'utf8')).split('\n');
    await writeFile(join(dir, 'checkpoints.jsonl'), `${notes[0]}\n`);

    expect(await verify()).toMatchObject({ ok: true, entries: 15, checkpoints: 1 });
    expect((await verify(external)).firstMismatch).toMatchObject({
      index: 15,
      kind: 'truncated',
      checkpoint: 'external',
    });
  });

  it('finds a checkpoint whose signature does not verify', async () => {
    const path = join(dir, 'checkpoints.jsonl');
    const lines = (await readFile(path, 'utf8')).split('\n');
    const note = (JSON.parse(lines[1] as string) as { note: string }).note;
    const forged = note.replace(/([A-Za-z0-9+/])(=*\n)$/, (_, c: string, end: string) => {
      return (c === 'A' ? 'B' : 'A') + end;
    });
    await writeFile(path, `${lines[0]}\n${JSON.stringify({ note: forged })}\n`);

    expect((await verify()).firstMismatch).toMatchObject({
      index: 20,
      kind: 'bad-signature',
      checkpoint: 1,
    });
  });
});

/** Member order of a record's canonical form, to rebuild its bytes independently. */
function canonicalOrder(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonicalOrder((value as Record<string, unknown>)[key])]),
  );
}

async function editLines(edit: (lines: string[]) => string[]): Promise<void> {
  const path = join(dir, segmentName(0));
  const lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  await writeFile(
    path,
    edit(lines)
      .map((line) => `${line}\n`)
      .join(''),
  );
}

async function replaceLine(index: number, change: (line: string) => string): Promise<void> {
  await editLines((lines) => lines.map((line, i) => (i === index ? change(line) : line)));
}
