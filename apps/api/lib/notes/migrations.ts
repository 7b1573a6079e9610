import type { Migration } from 'gatehouse/sql';

/**
 * The reference app's schema, in the order it must be applied. Timestamps are ISO 8601 text on
 * SQLite, which then sorts them correctly as strings, and `timestamptz` on PostgreSQL; the store
 * turns both back into the same ISO strings.
 */
export const appMigrations: readonly Migration[] = [
  {
    id: '0001_notes',
    sqlite: `
      CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX notes_newest_first ON notes (created_at DESC, id DESC);
    `,
    postgres: `
      CREATE TABLE notes (
        id text PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX notes_newest_first ON notes (created_at DESC, id DESC);
    `,
  },
  {
    // Notes belong to the account that wrote them; notes written before accounts existed
    // have no owner and are visible to nobody.
    id: '0002_note_owners',
    sqlite: `
      ALTER TABLE notes ADD COLUMN owner_id TEXT;
      CREATE INDEX notes_by_owner ON notes (owner_id, created_at DESC, id DESC);
    `,
    postgres: `
      ALTER TABLE notes ADD COLUMN owner_id text;
      CREATE INDEX notes_by_owner ON notes (owner_id, created_at DESC, id DESC);
    `,
  },
];
