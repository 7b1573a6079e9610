/**
 * The scale-out audit store: a PostgreSQL database of its own, written by an insert-only role
 * (see `setup.ts`). Several app instances may append to one log. Each batch is one transaction
 * that takes a transaction-scoped advisory lock, reads the log's size and the O(log n) subtree
 * roots at that size, and inserts the batch's records and the tree nodes they complete in
 * multi-row INSERTs: sequence numbers stay gapless and ordered, and the stored tree always
 * matches the stored records. The lock serialises writers, so throughput is one transaction
 * at a time across all instances, each carrying a whole batch.
 *
 * When the database cannot be reached, entries are spooled to a local file and drained in
 * order before the next batch, or by `drain()`; `required` entries are refused instead.
 * @module
 */
import type { SqlClient, SqlValue } from '../../sql/index.js';
import { openPostgres } from '../../sql/index.js';
import { readRecord, recordBytes, type AuditEntry, type AuditRecord } from '../entry.js';
import { AuditError } from '../errors.js';
import { compactRange } from '../nodes.js';
import type { AuditStore, NodeKey, StoredRecord, WriteOutcome } from '../store.js';
import { createTreeBuilder, leafHash } from '../tlog/index.js';
import { openSpool } from './spool.js';

/** Options of `openPostgresAuditStore`. */
export interface PostgresAuditStoreOptions {
  /**
   * A local file that keeps entries while the database cannot be reached. Without it, such
   * entries fail. @default no spool
   */
  readonly spoolPath?: string;
  /** Connections in the pool. @default 4 */
  readonly maxConnections?: number;
}

/** Rows per INSERT statement: 3 parameters each stays well under PostgreSQL's 65,535. */
const ROWS_PER_INSERT = 1000;
/** Records per page when verification streams the table. */
const PAGE = 1000;
/** The advisory lock's two keys: 'gate' as in `migrate`, then 'audi'. */
const LOCK = [0x67617465, 0x61756469] as const;
const utf8 = new TextEncoder();

/**
 * Opens the store on `url`, which should name the insert-only writer role. Nothing connects
 * until the first call, so an app starts while the database is down; a `connect_timeout` of
 * 5 seconds is added to the URL when it has none.
 * @example
 * const store = await openPostgresAuditStore(process.env.AUDIT_DATABASE_URL, {
 *   spoolPath: '.data/audit/spool.jsonl',
 * });
 */
export async function openPostgresAuditStore(
  url: string,
  options: PostgresAuditStoreOptions = {},
): Promise<AuditStore> {
  const db = openPostgres(withConnectTimeout(url), { max: options.maxConnections ?? 4 });
  const spool = options.spoolPath === undefined ? undefined : await openSpool(options.spoolPath);
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Runs writes and drains one at a time, in the order they were asked for. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const drainAll = async (): Promise<number> => {
    let drained = 0;
    while (spool !== undefined && spool.count > 0) {
      drained += await spool.drainSome(async (entries) => {
        await insert(db, entries);
      });
    }
    return drained;
  };

  const write = async (batch: Parameters<AuditStore['write']>[0]): Promise<WriteOutcome[]> => {
    let failure: unknown;
    try {
      await drainAll();
      const first = await insert(
        db,
        batch.map((item) => item.entry),
      );
      return batch.map((_, i) => ({ status: 'stored', seq: first + i }));
    } catch (error) {
      failure = error;
    }

    const error = new AuditError('ERR_AUDIT_UNAVAILABLE', 'The audit database is unavailable.', {
      cause: failure,
    });
    const spoolable = batch.filter((item) => !item.required).map((item) => item.entry);
    let spooled = false;
    if (spool !== undefined && spoolable.length > 0) {
      spooled = await spool.append(spoolable).then(
        () => true,
        () => false,
      );
    }
    return batch.map((item): WriteOutcome =>
      spooled && !item.required ? { status: 'spooled' } : { status: 'failed', error },
    );
  };

  return {
    write: (batch) => {
      if (closed) {
        const error = new AuditError('ERR_AUDIT_CLOSED', 'The audit store is closed.');
        return Promise.resolve(batch.map((): WriteOutcome => ({ status: 'failed', error })));
      }
      return serial(() => write(batch));
    },
    size: () => logSize(db),
    nodes: (keys) => readNodes(db, keys),
    async read(start, end) {
      const rows = await db.query<{ entry: string }>(
        'SELECT entry FROM audit_entries WHERE seq >= $1 AND seq < $2 ORDER BY seq',
        [start, end],
      );
      return rows.map(({ entry }) => parseEntry(entry));
    },
    async addCheckpoint(size, note) {
      await db.execute(
        'INSERT INTO audit_checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING',
        [size, note],
      );
    },
    async latestCheckpoint() {
      const [row] = await db.query<{ note: string }>(
        'SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1',
      );
      return row?.note;
    },
    query: (filter) => queryEntries(db, filter),
    records: () => streamRecords(db),
    async checkpoints() {
      const rows = await db.query<{ note: string }>(
        'SELECT note FROM audit_checkpoints ORDER BY size',
      );
      return rows.map((row) => row.note);
    },
    spooled: () => spool?.count ?? 0,
    drain: () => serial(drainAll),
    async close() {
      if (closed) return;
      closed = true;
      await serial(async () => undefined);
      await Promise.all([db.close(), spool?.close()]);
    },
  };
}

/** Inserts records for `entries` after the current end of the log; resolves to the first seq. */
async function insert(db: SqlClient, entries: readonly AuditEntry[]): Promise<number> {
  if (entries.length === 0) return logSize(db);

  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK]);
    const size = await logSize(tx);
    const tree = createTreeBuilder({ size, nodes: await readNodes(tx, compactRange(size)) });

    const records: SqlValue[][] = [];
    const nodes: SqlValue[][] = [];
    entries.forEach((entry, i) => {
      const bytes = recordBytes(size + i, entry);
      const leaf = leafHash(bytes);
      records.push([size + i, bytea(leaf), new TextDecoder().decode(bytes)]);
      tree.append(leaf, (level, index, hash) => nodes.push([level, index, bytea(hash)]));
    });

    await insertRows(tx, 'audit_entries (seq, leaf, entry)', '$::bigint, $::bytea, $', records);
    await insertRows(
      tx,
      'audit_nodes (level, idx, hash)',
      '$::smallint, $::bigint, $::bytea',
      nodes,
    );
    return size;
  });
}

async function insertRows(
  tx: SqlClient,
  target: string,
  row: string,
  rows: readonly SqlValue[][],
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    let n = 0;
    const values = chunk.map(() => `(${row.replace(/\$/g, () => `$${++n}`)})`).join(', ');
    await tx.execute(`INSERT INTO ${target} VALUES ${values}`, chunk.flat());
  }
}

async function logSize(db: SqlClient): Promise<number> {
  const [row] = await db.query<{ size: string }>(
    'SELECT coalesce(max(seq) + 1, 0)::text AS size FROM audit_entries',
  );
  return Number(row?.size ?? 0);
}

async function readNodes(db: SqlClient, keys: readonly NodeKey[]): Promise<Uint8Array[]> {
  if (keys.length === 0) return [];
  const params = keys.flatMap(({ level, index }) => [level, index]);
  const pairs = keys.map((_, i) => `($${2 * i + 1}::smallint, $${2 * i + 2}::bigint)`).join(', ');
  const rows = await db.query<{ level: number; idx: string; hash: Buffer }>(
    `SELECT level, idx::text, hash FROM audit_nodes WHERE (level, idx) IN (${pairs})`,
    params,
  );

  const found = new Map(rows.map((row) => [`${row.level}/${row.idx}`, new Uint8Array(row.hash)]));
  return keys.map(({ level, index }) => {
    const hash = found.get(`${level}/${index}`);
    if (hash === undefined) {
      throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A tree node is not stored.');
    }
    return hash;
  });
}

async function* streamRecords(db: SqlClient): AsyncGenerator<StoredRecord> {
  for (let after = -1; ;) {
    // The seq goes out as text, since BIGINT may pass 2^53; ordering stays on the column.
    const rows = await db.query<{ position: string; leaf: Buffer; entry: string }>(
      'SELECT seq::text AS position, leaf, entry FROM audit_entries ' +
        'WHERE seq > $1 ORDER BY audit_entries.seq LIMIT $2',
      [after, PAGE],
    );
    for (const row of rows) {
      after = Number(row.position);
      yield { bytes: utf8.encode(row.entry), leaf: new Uint8Array(row.leaf), key: after };
    }
    if (rows.length < PAGE) return;
  }
}

async function queryEntries(
  db: SqlClient,
  filter: Parameters<AuditStore['query']>[0],
): Promise<AuditRecord[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (condition: string, value: SqlValue) => {
    params.push(value);
    where.push(condition.replace('?', `$${params.length}`));
  };
  if (filter.after !== undefined) add('seq > ?', filter.after);
  if (filter.actor !== undefined) add('actor_id = ?', filter.actor);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.resource !== undefined) add('resource = ?', filter.resource);
  if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
  if (filter.from !== undefined) add('occurred_at >= ?', filter.from.toISOString());
  if (filter.to !== undefined) add('occurred_at < ?', filter.to.toISOString());
  params.push(filter.limit);

  const rows = await db.query<{ entry: string }>(
    `SELECT entry FROM audit_entries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY seq LIMIT $${params.length}`,
    params,
  );
  return rows.map(({ entry }) => parseEntry(entry));
}

function parseEntry(entry: string): AuditRecord {
  const record = readRecord(utf8.encode(entry));
  if (record === undefined) {
    throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A stored audit record is unreadable.');
  }
  return record;
}

/** PostgreSQL's hex input form for BYTEA. */
function bytea(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes).toString('hex')}`;
}

function withConnectTimeout(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('connect_timeout'))
      parsed.searchParams.set('connect_timeout', '5');
    return parsed.toString();
  } catch {
    throw new AuditError('ERR_AUDIT_OPTIONS_INVALID', 'The audit database URL is not a URL.');
  }
}
