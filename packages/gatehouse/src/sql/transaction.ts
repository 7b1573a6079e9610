import { AsyncLocalStorage } from 'node:async_hooks';

import type { SqlClient, SqlDialect, SqlValue } from './types.js';

/** Runs statements on one connection directly, with no locking of its own. */
export interface Executor {
  query(text: string, params: readonly SqlValue[]): Promise<Record<string, unknown>[]>;
  execute(text: string, params: readonly SqlValue[]): Promise<{ rowCount: number }>;
}

/** How a transaction starts and ends: BEGIN/COMMIT/ROLLBACK at the top, SAVEPOINTs below. */
export interface Boundaries {
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** Runs fn between begin and commit with a tx client at the given depth, rolling back on throw. */
export async function runTransaction<T>(
  dialect: SqlDialect,
  exec: Executor,
  depth: number,
  boundaries: Boundaries,
  fn: (tx: SqlClient) => Promise<T>,
): Promise<T> {
  await boundaries.begin();
  const scope = openScope(dialect, exec, depth);

  let result: T;
  try {
    result = await fn(scope.client);
  } catch (error) {
    scope.end();
    // The caller needs fn's error, not a follow-on failure to roll back (a dropped connection
    // fails both); the boundaries clean up after a failed rollback themselves.
    await boundaries.rollback().catch(() => undefined);
    throw error;
  }

  scope.end();
  try {
    await boundaries.commit();
  } catch (error) {
    await boundaries.rollback().catch(() => undefined);
    throw error;
  }
  return result;
}

/**
 * The client handed to a transaction's fn. Its own mutex is free unless a nested transaction is
 * open on it, so its statements run at once; once the transaction ends it refuses further work,
 * because a stray call would otherwise run outside the transaction it was written for.
 */
function openScope(
  dialect: SqlDialect,
  exec: Executor,
  depth: number,
): { client: SqlClient; end(): void } {
  const mutex = new Mutex();
  const savepoint = `gatehouse_sp_${depth}`;
  let open = true;

  const ensureOpen = (): void => {
    if (!open) throw new Error('This transaction has already ended; its tx client is closed');
  };

  const nested: Boundaries = {
    begin: async () => {
      await exec.execute(`SAVEPOINT ${savepoint}`, []);
    },
    commit: async () => {
      await exec.execute(`RELEASE SAVEPOINT ${savepoint}`, []);
    },
    rollback: async () => {
      await exec.execute(`ROLLBACK TO SAVEPOINT ${savepoint}`, []);
      await exec.execute(`RELEASE SAVEPOINT ${savepoint}`, []);
    },
  };

  const client: SqlClient = {
    dialect,
    query: <Row extends Record<string, unknown>>(text: string, params: readonly SqlValue[] = []) =>
      mutex.run(async () => {
        ensureOpen();
        return (await exec.query(text, params)) as Row[];
      }),
    execute: (text, params = []) =>
      mutex.run(() => {
        ensureOpen();
        return exec.execute(text, params);
      }),
    transaction: (fn) =>
      mutex.run(() => {
        ensureOpen();
        return runTransaction(dialect, exec, depth + 1, nested, fn);
      }),
    close: async () => {
      throw new Error('Close the client that opened the transaction, not its tx client');
    },
  };

  return {
    client,
    end: () => {
      open = false;
    },
  };
}

/** A lease on a mutex, open while its holder runs; `next` links to leases held further out. */
interface Lease {
  readonly mutex: Mutex;
  open: boolean;
  readonly next: Lease | undefined;
}

// Which leases the current async call chain is running under. It lets a call that would wait for
// a lock its own caller holds fail at once instead of hanging the request forever.
const held = new AsyncLocalStorage<Lease>();

/**
 * A first-in, first-out async lock. The SQLite connection is one synchronous handle, so an open
 * transaction must keep every other statement on that handle out until it ends.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs fn once every earlier holder has finished; fn's async work runs inside the lease. */
  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    for (let lease = held.getStore(); lease !== undefined; lease = lease.next) {
      if (lease.mutex === this && lease.open) {
        throw new Error(
          'This SQL client is locked by a transaction in the same call chain; ' +
            'use the tx client passed to transaction() instead',
        );
      }
    }

    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;

    const lease: Lease = { mutex: this, open: true, next: held.getStore() };
    try {
      return await held.run(lease, fn);
    } finally {
      // Closing the lease matters for work fn left behind (timers, unawaited calls): once the
      // lock is gone they may queue for it like anyone else.
      lease.open = false;
      release();
    }
  }
}
