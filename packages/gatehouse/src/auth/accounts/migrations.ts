import type { Migration } from '../../sql/types.js';

/**
 * The schema of the accounts store, for `migrate(db, accountMigrations)`. Ids carry a
 * `gatehouse_accounts_` prefix because they share the app's migrations table with other modules.
 *
 * Account timestamps are ISO 8601 text on SQLite (which sorts correctly as strings) and
 * `timestamptz` on PostgreSQL. Reset-token times are milliseconds since the epoch in both, since
 * they are only ever compared with the caller's clock.
 */
export const accountMigrations: readonly Migration[] = [
  {
    id: 'gatehouse_accounts_0001_create',
    sqlite: `
      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
        created_at TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        disabled_at TEXT
      );
      CREATE INDEX accounts_oldest_first ON accounts (created_at, id);
      CREATE TABLE password_reset_tokens (
        token_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX password_reset_tokens_account ON password_reset_tokens (account_id);
    `,
    postgres: `
      CREATE TABLE accounts (
        id text PRIMARY KEY,
        email text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('user', 'admin')),
        created_at timestamptz NOT NULL,
        password_changed_at timestamptz NOT NULL,
        disabled_at timestamptz
      );
      CREATE INDEX accounts_oldest_first ON accounts (created_at, id);
      CREATE TABLE password_reset_tokens (
        token_hash text PRIMARY KEY,
        account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        expires_at bigint NOT NULL,
        used_at bigint,
        created_at bigint NOT NULL
      );
      CREATE INDEX password_reset_tokens_account ON password_reset_tokens (account_id);
    `,
  },
];
