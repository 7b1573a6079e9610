import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import {
  createAuditLog,
  openCheckpoint,
  openPostgresAuditStore,
  verifyAuditLog,
  verifyConsistency,
  verifyInclusion,
  type AuditLog,
  type AuditStore,
} from '../../src/audit/index.js';
import { ORIGIN, sampleEntry, testKey } from '../../src/audit/test/support.js';
import { createAuditTestDatabase } from '../support/postgres.js';

interface AuditDatabase {
  /** The owner's (a superuser's) URL. */
  readonly ownerUrl: string;
  /** The insert-only writer role's URL. */
  readonly writerUrl: string;
  readonly writerRole: string;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database set up by its owner, with a writer role of a random name. */
async function auditDatabase(): Promise<AuditDatabase> {
  const database = await createAuditTestDatabase();
  cleanups.push(() => database.drop());
  return database;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const key = testKey();

async function openLog(
  url: string,
  spoolPath?: string,
): Promise<{ store: AuditStore; log: AuditLog }> {
  const store = await openPostgresAuditStore(url, spoolPath === undefined ? {} : { spoolPath });
  const log = createAuditLog({
    store,
    signer: key.signer,
    origin: ORIGIN,
    checkpointIntervalMs: 0,
    drainIntervalMs: 0,
  });
  cleanups.push(() => log.close().catch(() => undefined));
  return { store, log };
}

async function appendAll(log: AuditLog, from: number, to: number): Promise<number[]> {
  const receipts = await Promise.all(
    Array.from({ length: to - from }, (_, i) => log.append(sampleEntry(from + i))),
  );
  return receipts.map((r) => (r.status === 'stored' ? r.seq : -1));
}

const verify = (store: AuditStore, external?: string) =>
  verifyAuditLog(store, {
    verifiers: [key.verifier],
    origin: ORIGIN,
    ...(external === undefined ? {} : { external }),
  });

describe('the PostgreSQL audit store', () => {
  it('appends, checkpoints, queries, proves and verifies through the writer role', async () => {
    const db = await auditDatabase();
    const { store, log } = await openLog(db.writerUrl);

    expect(await appendAll(log, 0, 7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const old = await log.checkpoint();
    await appendAll(log, 7, 20);
    const latest = await log.checkpoint();
    expect(openCheckpoint(latest.note, [key.verifier], ORIGIN).checkpoint.size).toBe(20);

    const inclusion = await log.inclusionProof(11, 20);
    expect(inclusion.record.resource).toBe('notes/11');
    expect(verifyInclusion(inclusion.leafHash, 11, 20, inclusion.proof, latest.root)).toBe(true);
    const consistency = await log.consistencyProof(old.size);
    expect(verifyConsistency(7, 20, old.root, latest.root, consistency.proof)).toBe(true);

    const page = await log.query({ actor: 'u2', action: 'notes.read', limit: 2 });
    expect(page.records.map((r) => r.seq)).toEqual([2, 8]);
    const next = await log.query({ actor: 'u2', action: 'notes.read', limit: 2, after: 8 });
    expect(next.records.map((r) => r.seq)).toEqual([14]);

    expect(await verify(store)).toMatchObject({ ok: true, entries: 20, checkpoints: 2 });
  });

  it('writes a final checkpoint on close', async () => {
    const db = await auditDatabase();
    const first = await openLog(db.writerUrl);
    await appendAll(first.log, 0, 3);
    await first.log.close();

    const second = await openLog(db.writerUrl);
    expect(await second.log.latestCheckpoint()).toMatchObject({ size: 3 });
  });

  it('keeps the writer role from UPDATE, DELETE and TRUNCATE, and the owner too', async () => {
    const db = await auditDatabase();
    const { log } = await openLog(db.writerUrl);
    await appendAll(log, 0, 2);
    await log.checkpoint();

    await withClient(db.writerUrl, async (writer) => {
      for (const table of ['audit_entries', 'audit_nodes', 'audit_checkpoints']) {
        for (const statement of [
          `UPDATE ${table} SET ${table === 'audit_nodes' ? 'idx = idx' : 'note = note'}`,
          `DELETE FROM ${table}`,
          `TRUNCATE ${table}`,
        ]) {
          const sql = statement.replace(
            'note = note',
            table === 'audit_entries' ? 'entry = entry' : 'note = note',
          );
          await expect(writer.query(sql), sql).rejects.toMatchObject({ code: '42501' });
        }
      }
    });
    await withClient(db.ownerUrl, async (owner) => {
      for (const sql of [
        'UPDATE audit_entries SET entry = entry',
        'DELETE FROM audit_entries WHERE seq = 0',
        'TRUNCATE audit_entries',
        'DELETE FROM audit_checkpoints',
        'TRUNCATE audit_nodes',
      ]) {
        await expect(owner.query(sql), sql).rejects.toThrow(/append-only/);
      }
    });
  });

  it('detects tampering done with the triggers disabled', async () => {
    const db = await auditDatabase();
    const { store, log } = await openLog(db.writerUrl);
    await appendAll(log, 0, 10);
    await log.checkpoint();
    await appendAll(log, 10, 20);
    await log.checkpoint();

    const tamper = (sql: string) =>
      withClient(db.ownerUrl, async (owner) => {
        await owner.query('ALTER TABLE audit_entries DISABLE TRIGGER ALL');
        await owner.query(sql);
        await owner.query('ALTER TABLE audit_entries ENABLE TRIGGER ALL');
      });

    await tamper('DELETE FROM audit_entries WHERE seq >= 17');
    expect((await verify(store)).firstMismatch).toMatchObject({ index: 17, kind: 'truncated' });
    await tamper('DELETE FROM audit_entries WHERE seq = 12');
    expect((await verify(store)).firstMismatch).toMatchObject({ index: 12, kind: 'deleted' });
    await tamper(
      `UPDATE audit_entries SET entry = replace(entry, 'notes/5', 'notes/6') WHERE seq = 5`,
    );
    expect((await verify(store)).firstMismatch).toMatchObject({ index: 5, kind: 'changed' });
  });

  it('keeps the sequence gapless when two instances append at once', async () => {
    const db = await auditDatabase();
    const a = await openLog(db.writerUrl);
    const b = await openLog(db.writerUrl);

    const seqs = (
      await Promise.all([
        appendAll(a.log, 0, 60),
        appendAll(b.log, 60, 120),
        appendAll(a.log, 120, 150),
        appendAll(b.log, 150, 200),
      ])
    ).flat();
    expect(seqs.toSorted((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));

    const fromA = await a.log.checkpoint();
    const fromB = await b.log.checkpoint();
    expect(fromB).toEqual(fromA);
    expect(await verify(a.store)).toMatchObject({ ok: true, entries: 200 });
  });

  it('spools while the database is unreachable and drains in order when it returns', async () => {
    const db = await auditDatabase();
    const proxy = await startProxy();
    cleanups.push(() => proxy.stop());
    const spoolDir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-spool-'));
    cleanups.push(() => rm(spoolDir, { recursive: true, force: true }));

    const url = new URL(db.writerUrl);
    url.port = String(proxy.port);
    const { store, log } = await openLog(url.toString(), join(spoolDir, 'spool.jsonl'));
    expect(await appendAll(log, 0, 3)).toEqual([0, 1, 2]);

    await proxy.stop();
    const spooled = await Promise.all([0, 1, 2, 3].map((i) => log.append(sampleEntry(3 + i))));
    expect(spooled).toEqual(Array(4).fill({ status: 'spooled' }));
    await expect(log.append(sampleEntry(99), { required: true })).rejects.toMatchObject({
      code: 'ERR_AUDIT_UNAVAILABLE',
    });
    expect(store.spooled()).toBe(4);

    await proxy.start();
    expect(await log.append(sampleEntry(7))).toEqual({ status: 'stored', seq: 7 });
    expect(store.spooled()).toBe(0);
    const records = await store.read(0, 8);
    expect(records.map((r) => r.requestId)).toEqual(
      Array.from({ length: 8 }, (_, i) => `req-${i}`),
    );
    await log.checkpoint();
    expect(await verify(store)).toMatchObject({ ok: true, entries: 8 });
  });
});

/** A TCP proxy to the local PostgreSQL that can be stopped and started on the same port. */
async function startProxy(): Promise<{
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const listening = createServer((client) => {
        const upstream = connect(5432, '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as { port: number }).port;
        server = listening;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server === undefined) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  await start();
  return { port, stop, start };
}
