/**
 * What the audit benchmark's parts share: realistic entries, a checkpoint key, scratch
 * directories on the repository's disk, throwaway PostgreSQL databases, and small statistics.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { openPostgres } from 'gatehouse/sql';

import { median } from '../pipeline/measure.mjs';

import {
  auditEntry,
  loadOrCreateCheckpointKey,
  parseVerifierKey,
  recordBytes,
} from 'gatehouse/audit';

export { median, percentile } from '../pipeline/measure.mjs';

/** The origin line of every log the benchmark writes. */
export const ORIGIN = 'bench.gatehouse.test/audit';

const ADMIN_URL =
  process.env.AUDIT_BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

const ACTIONS = [
  ['notes.read', 'notes'],
  ['notes.update', 'notes'],
  ['notes.delete', 'notes'],
  ['auth.login', 'sessions'],
  ['auth.refresh', 'sessions'],
  ['users.update', 'users'],
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'okhttp/4.12.0',
  'curl/8.5.0',
];

/** A small deterministic generator (xorshift32), so every run logs the same entries. */
function generator(seed) {
  let state = seed >>> 0 || 1;
  return (bound) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % bound;
  };
}

/**
 * `count` normalised entries (`auditEntry`) of the kind the pipeline writes: a user acting on a
 * resource from a client address and user agent, with a request id; one in ten denied with a
 * reason, one in five carrying a detail.
 */
export function entryPool(count, seed = 1) {
  const next = generator(seed);
  const start = Date.UTC(2026, 11, 1);
  return Array.from({ length: count }, (_, n) => {
    const [action, kind] = ACTIONS[next(ACTIONS.length)];
    const denied = next(10) === 0;
    const ip =
      next(4) === 0
        ? `2001:db8:${next(0xffff).toString(16)}::${next(0xffff).toString(16)}`
        : `203.0.${next(256)}.${next(256)}`;
    return auditEntry({
      actor: { kind: 'user', id: `usr_${next(50_000).toString(36).padStart(4, '0')}` },
      action,
      resource: `${kind}/${next(1_000_000)}`,
      outcome: denied ? 'denied' : 'success',
      ip,
      userAgent: AGENTS[next(AGENTS.length)],
      timestamp: new Date(start + n * 250),
      requestId: `req_${next(2 ** 31).toString(36)}${next(2 ** 31).toString(36)}`,
      ...(denied ? { reason: 'the note belongs to another user' } : {}),
      ...(next(5) === 0 ? { details: { fields: 2, version: next(40) } } : {}),
    });
  });
}

/** The mean size of the pool's records as stored (canonical JSON, without the newline). */
export function meanRecordBytes(pool) {
  const total = pool.reduce((sum, entry, i) => sum + recordBytes(i, entry).length, 0);
  return total / pool.length;
}

/** A checkpoint key made under `dir`, as the embedded setup makes one, and its verifier. */
export async function checkpointKey(dir) {
  const key = await loadOrCreateCheckpointKey(join(dir, 'key'), ORIGIN);
  return { signer: key.signer, verifiers: [parseVerifierKey(key.verifierKey)] };
}

/**
 * A scratch directory on the repository's disk (under the ignored `bench/results/`, or under
 * `parent`), removed by `remove()`; `filesystem` names what the store's fsyncs land on.
 */
export async function scratchDirectory(parent) {
  const base = parent ?? fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(base, { recursive: true });
  const path = await mkdtemp(join(base, 'audit-scratch-'));
  return {
    path,
    filesystem: filesystemOf(path),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

function filesystemOf(path) {
  try {
    const [type, source] = execFileSync('findmnt', ['-no', 'FSTYPE,SOURCE', '-T', path], {
      encoding: 'utf8',
    })
      .trim()
      .split(/\s+/);
    return { type, source };
  } catch {
    return { type: 'unknown', source: 'unknown' };
  }
}

/**
 * Creates an empty database with a generated name, sets the audit schema up in it as the
 * connecting role, and returns its URL; `drop()` removes it, ending any connection left open.
 */
export async function throwawayDatabase(setup) {
  const name = `gatehouse_bench_audit_${randomBytes(5).toString('hex')}`;
  const admin = openPostgres(ADMIN_URL, { max: 1 });
  try {
    // The name is generated here, never taken from input, so quoting it is enough.
    await admin.execute(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close();
  }

  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const owner = openPostgres(url.toString(), { max: 1 });
  try {
    await setup(owner);
  } finally {
    await owner.close();
  }

  let dropped;
  const drop = () =>
    (dropped ??= (async () => {
      const client = openPostgres(ADMIN_URL, { max: 1 });
      try {
        await client.execute(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.close();
      }
    })());
  return { name, url: url.toString(), drop };
}

/** The server's version and the settings that decide what a commit costs. */
export async function postgresSettings() {
  const client = openPostgres(ADMIN_URL, { max: 1 });
  try {
    const rows = await client.query(
      `SELECT name, setting FROM pg_settings WHERE name IN
       ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay',
        'full_page_writes', 'shared_buffers')`,
    );
    return {
      url: ADMIN_URL.replace(/\/\/[^@]*@/, '//'),
      ...Object.fromEntries(rows.map((row) => [row.name, row.setting])),
    };
  } finally {
    await client.close();
  }
}

/** (max - min) / median: how much the rounds disagreed. */
export function spread(values) {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export const int = (value) => Math.round(value).toLocaleString('en-US');
export const ms = (value) => (value < 1 ? value.toFixed(3) : value.toFixed(2));
export const x = (value) => `${value.toFixed(1)}×`;
export const percent = (value) => `${(value * 100).toFixed(0)} %`;
export const seconds = (value) => `${value.toFixed(1)} s`;

/**
 * Appends `count` entries from `pool` (cycled) with `durable: false`, waiting for the writes
 * every `chunk` entries so memory stays flat, and signs a checkpoint every `checkpointEvery`
 * entries (0: none); resolves to the seconds it took. The engine writes the queue in batches of
 * its `maxBatch`, one write and one fsync (or one transaction) each.
 */
export async function fillLog(log, pool, count, { chunk = 10_000, checkpointEvery = 0 } = {}) {
  const started = performance.now();
  for (let done = 0; done < count;) {
    const end = Math.min(count, done + chunk);
    for (; done < end; done += 1) {
      void log.append(pool[done % pool.length], { durable: false });
    }
    await log.flush();
    if (checkpointEvery > 0 && done % checkpointEvery === 0) await log.checkpoint();
  }
  await log.flush();
  return (performance.now() - started) / 1000;
}
