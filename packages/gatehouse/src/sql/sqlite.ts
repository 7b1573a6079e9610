import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';

import { bindPositional, toPositional, type PositionalSql } from './placeholders.js';
import { Mutex, runTransaction, type Boundaries, type Executor } from './transaction.js';
import type { SqlClient, SqlValue } from './types.js';

const BUSY_TIMEOUT_MS = 5000;
const STATEMENT_CACHE_SIZE = 256;

interface Prepared {
  readonly positional: PositionalSql;
  /** Absent when the text holds several statements, which only `exec` can run. */
  readonly statement: Database.Statement | undefined;
}

/** Opens (creating if needed) a SQLite database file, or an in-memory one for `':memory:'`. */
export function openSqlite(file: string): SqlClient {
  if (file !== ':memory:' && file !== '') createPrivateFile(resolve(file));

  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');

  const cache = new Map<string, Prepared>();
  const totalChanges = db.prepare('SELECT total_changes()').pluck();

  const prepare = (text: string): Prepared => {
    const cached = cache.get(text);
    if (cached !== undefined) {
      // Re-inserting keeps the map in least-recently-used order, so eviction drops a cold entry.
      cache.delete(text);
      cache.set(text, cached);
      return cached;
    }
    const positional = toPositional(text);
    const entry = {
      positional,
      statement: positional.multiple ? undefined : db.prepare(positional.text),
    };
    cache.set(text, entry);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return entry;
  };

  const rows = ({ positional, statement }: Prepared, params: readonly SqlValue[]) => {
    if (statement === undefined) {
      throw new RangeError('query() runs one statement; use execute() without params for several');
    }
    const args = bindPositional(positional, params);
    if (statement.reader) return statement.all(args) as Record<string, unknown>[];
    statement.run(args);
    return [];
  };

  const changes = ({ positional, statement }: Prepared, params: readonly SqlValue[]) => {
    const args = bindPositional(positional, params);
    if (statement !== undefined) return { rowCount: statement.run(args).changes };
    // exec() binds nothing, so a placeholder there would silently become NULL.
    if (args.length > 0) throw new RangeError('Several statements in one call take no params');
    const before = totalChanges.get() as number;
    db.exec(positional.text);
    return { rowCount: (totalChanges.get() as number) - before };
  };

  // better-sqlite3 waits for a lock by blocking the thread. Outside a transaction a write may meet
  // another connection's open (async) transaction, which cannot finish while the thread is
  // blocked, so those waits poll instead: no busy timeout, short sleeps, the same deadline.
  const waitsForLock = ({ statement }: Prepared) => statement === undefined || !statement.readonly;
  const withoutBlocking = async <T>(attempt: () => T): Promise<T> => {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      db.pragma('busy_timeout = 0');
      try {
        return attempt();
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
      } finally {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
      await sleep(delay);
    }
  };

  // Inside a transaction the write lock is already held (BEGIN IMMEDIATE), so tx statements run
  // straight through.
  const direct: Executor = {
    query: async (text, params) => rows(prepare(text), params),
    execute: async (text, params) => changes(prepare(text), params),
  };

  const topLevel: Boundaries = {
    begin: () => withoutBlocking(() => void db.exec('BEGIN IMMEDIATE')),
    commit: async () => void db.exec('COMMIT'),
    rollback: async () => {
      // Some errors (SQLITE_FULL, SQLITE_IOERR) already rolled the transaction back.
      if (db.inTransaction) db.exec('ROLLBACK');
    },
  };

  const mutex = new Mutex();
  let closing: Promise<void> | undefined;

  return {
    dialect: 'sqlite',
    query: <Row extends Record<string, unknown>>(text: string, params: readonly SqlValue[] = []) =>
      mutex.run(() => {
        const prepared = prepare(text);
        const attempt = () => rows(prepared, params) as Row[];
        return waitsForLock(prepared) ? withoutBlocking(attempt) : attempt();
      }),
    execute: (text, params = []) =>
      mutex.run(() => {
        const prepared = prepare(text);
        const attempt = () => changes(prepared, params);
        return waitsForLock(prepared) ? withoutBlocking(attempt) : attempt();
      }),
    transaction: (fn) => mutex.run(() => runTransaction('sqlite', direct, 1, topLevel, fn)),
    close: () => (closing ??= mutex.run(() => void db.close())),
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

// Creating the file ourselves is the only way to choose its mode: SQLite would create it with the
// umask default (often world-readable), and its -wal and -shm files copy the main file's mode.
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
