import { join } from 'node:path';

import { accountMigrations, sessionMigrations } from 'gatehouse/auth';
import { cspViolationMigrations } from 'gatehouse/headers';
import { migrate, openPostgres, openSqlite, type SqlClient } from 'gatehouse/sql';

import { getConfig } from './config';
import { getLogger } from './log';
import { appMigrations } from './notes/migrations';
import { forgetProcessSingleton, processSingleton } from './process-singleton';
import { createNoteStore, type NoteStores } from './notes/store';

interface AppDatabase {
  readonly db: SqlClient;
  readonly notes: NoteStores;
}

/**
 * The app database, migrated: PostgreSQL when `DATABASE_URL` is set, otherwise SQLite under the
 * data directory. Opened once; the server opens it at start so a bad database stops the start.
 */
export function getAppDatabase(): Promise<AppDatabase> {
  return processSingleton('app-database', () =>
    open().catch((error: unknown) => {
      forgetProcessSingleton('app-database');
      throw error;
    }),
  );
}

async function open(): Promise<AppDatabase> {
  const config = getConfig();
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl)
    : openSqlite(join(config.dataDir, 'app.db'));

  const applied = await migrate(db, [
    ...accountMigrations,
    ...sessionMigrations,
    ...cspViolationMigrations,
    ...appMigrations,
  ]);
  getLogger().info({ dialect: db.dialect, applied }, 'app database ready');
  return { db, notes: createNoteStore(db) };
}

/** The notes of one account: the only way routes reach notes, so every query is owner-scoped. */
export async function notesOf(userId: string) {
  const { notes } = await getAppDatabase();
  return notes.forOwner(userId);
}
