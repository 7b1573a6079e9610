import pg from 'pg';

import { runTransaction, type Boundaries, type Executor } from './transaction.js';
import type { SqlClient, SqlValue } from './types.js';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Opens a PostgreSQL connection pool; rows keep node-postgres' default type parsing. */
export function openPostgres(url: string, options: { max?: number } = {}): SqlClient {
  // An application_name in the URL wins over this one: node-postgres lets the URL override.
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: 'gatehouse',
  });

  // An idle client whose connection drops (server restart, failover) is emitted here; without a
  // listener that would crash the process. The pool already discards the client, and the next
  // query surfaces the problem to its caller, so there is nothing more to do.
  pool.on('error', () => undefined);

  let closing: Promise<void> | undefined;

  return {
    dialect: 'postgres',
    query: async <Row extends Record<string, unknown>>(
      text: string,
      params: readonly SqlValue[] = [],
    ) => (await rows(pool, text, params)) as Row[],
    execute: (text, params = []) => changes(pool, text, params),
    transaction: (fn) => transaction(pool, fn),
    close: () => (closing ??= pool.end()),
  };
}

async function transaction<T>(pool: pg.Pool, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();

  // A checked-out client has no error listener, so a connection lost mid-transaction would be an
  // unhandled 'error' event. Remember it instead, and hand it to release() so the client is
  // destroyed rather than returned to the pool.
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);

  const exec: Executor = {
    query: (text, params) => rows(client, text, params),
    execute: (text, params) => changes(client, text, params),
  };

  const boundaries: Boundaries = {
    begin: async () => {
      await client.query('BEGIN');
    },
    commit: async () => {
      // COMMIT of a transaction an earlier statement aborted reports ROLLBACK instead of
      // failing; fn caught that statement's error, but its work is gone, so say so.
      const result = await client.query('COMMIT');
      if (result.command === 'ROLLBACK') {
        throw new Error('The transaction was aborted by a failed statement and rolled back');
      }
    },
    rollback: async () => {
      try {
        await client.query('ROLLBACK');
      } catch (error) {
        broken ??= error instanceof Error ? error : new Error('ROLLBACK failed');
      }
    },
  };

  try {
    return await runTransaction('postgres', exec, 1, boundaries, fn);
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

async function rows(
  target: Queryable,
  text: string,
  params: readonly SqlValue[],
): Promise<Record<string, unknown>[]> {
  const result = await run(target, text, params);
  // Several statements without params come back as one result each; the last one is the answer.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return last?.rows ?? [];
}

async function changes(
  target: Queryable,
  text: string,
  params: readonly SqlValue[],
): Promise<{ rowCount: number }> {
  const result = await run(target, text, params);
  const results = Array.isArray(result) ? result : [result];
  return { rowCount: results.reduce((sum, each) => sum + (each.rowCount ?? 0), 0) };
}

// Without params node-postgres uses the simple query protocol, which accepts several statements
// (migrations rely on that); with params it uses the extended protocol, which takes exactly one.
function run(
  target: Queryable,
  text: string,
  params: readonly SqlValue[],
): Promise<pg.QueryResult | pg.QueryResult[]> {
  if (params.length === 0) return target.query(text) as Promise<pg.QueryResult>;
  return target.query(text, [...params]);
}
