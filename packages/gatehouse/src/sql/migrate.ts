import { GatehouseError } from '../errors.js';
import type { Migration, SqlClient } from './types.js';

const DEFAULT_TABLE = 'gatehouse_migrations';
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

// The first key of PostgreSQL's two-key advisory lock, so ours cannot collide with an app's
// single-key locks; the second key is derived from the table name.
const LOCK_NAMESPACE = 0x67617465; // 'gate'

/**
 * Applies migrations not yet applied, in order, each in its own transaction, recording ids in a
 * table (default `gatehouse_migrations`). Safe when several processes start at once: PostgreSQL
 * takes a transaction-scoped advisory lock; SQLite uses BEGIN IMMEDIATE. Returns the ids it
 * applied. A failure throws
 * GatehouseError('ERR_SQL_MIGRATION', 'Migration <id> failed', { cause }).
 */
export async function migrate(
  db: SqlClient,
  migrations: readonly Migration[],
  options: { table?: string } = {},
): Promise<string[]> {
  const table = options.table ?? DEFAULT_TABLE;
  if (!PLAIN_IDENTIFIER.test(table)) {
    throw new GatehouseError(
      'ERR_SQL_MIGRATION',
      'The migrations table name must be a plain identifier',
    );
  }
  const ids = new Set<string>();
  for (const { id } of migrations) {
    if (id === '' || ids.has(id)) {
      throw new GatehouseError('ERR_SQL_MIGRATION', 'Migration ids must be unique and non-empty');
    }
    ids.add(id);
  }

  // Every transaction takes the lock first (SQLite's BEGIN IMMEDIATE already holds the write
  // lock), so a process that started at the same time waits here and then sees our records.
  const lock = async (tx: SqlClient): Promise<void> => {
    if (tx.dialect === 'postgres') {
      await tx.execute('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_NAMESPACE, hash32(table)]);
    }
  };

  let applied: Set<string>;
  try {
    applied = await db.transaction(async (tx) => {
      await lock(tx);
      await tx.execute(createTable(tx.dialect, table));
      const rows = await tx.query<{ id: string }>(`SELECT id FROM ${table}`);
      return new Set(rows.map((row) => row.id));
    });
  } catch (cause) {
    throw new GatehouseError('ERR_SQL_MIGRATION', `The ${table} table could not be read`, {
      cause,
    });
  }

  // The first read lets a fully migrated database start without one transaction per migration;
  // each migration still re-checks its record under the lock, since another process may have
  // applied it in between.
  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.id)) continue;
    try {
      const ran = await db.transaction(async (tx) => {
        await lock(tx);
        const found = await tx.query(`SELECT id FROM ${table} WHERE id = $1`, [migration.id]);
        if (found.length > 0) return false;

        const sql = tx.dialect === 'sqlite' ? migration.sqlite : migration.postgres;
        if (sql.trim() !== '') await tx.execute(sql);
        await tx.execute(`INSERT INTO ${table} (id, applied_at) VALUES ($1, $2)`, [
          migration.id,
          new Date().toISOString(),
        ]);
        return true;
      });
      if (ran) done.push(migration.id);
    } catch (cause) {
      throw new GatehouseError('ERR_SQL_MIGRATION', `Migration ${migration.id} failed`, { cause });
    }
  }
  return done;
}

function createTable(dialect: SqlClient['dialect'], table: string): string {
  const appliedAt = dialect === 'sqlite' ? 'TEXT' : 'timestamptz';
  return (
    `CREATE TABLE IF NOT EXISTS ${table} ` +
    `(id TEXT PRIMARY KEY, applied_at ${appliedAt} NOT NULL)`
  );
}

/** FNV-1a, folded to a signed 32-bit integer as the advisory lock's int4 key needs. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
