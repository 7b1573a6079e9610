/**
 * The PostgreSQL audit schema, its append-only triggers and its insert-only writer role. Run it
 * once, as the role that will own the tables, on a database of its own (`AUDIT_DATABASE_URL`),
 * never the app's: `setupAuditDatabase`, or `gatehouse audit setup-sql | psql`.
 * The writer then connects as the writer role, which may only SELECT and INSERT; even the owner
 * is stopped by the triggers from UPDATE, DELETE and TRUNCATE. Requires PostgreSQL 14 or later.
 * @module
 */
import type { SqlClient } from '../../sql/index.js';
import { AuditError } from '../errors.js';

/** The writer role the setup creates unless told another name. */
export const DEFAULT_AUDIT_WRITER_ROLE = 'gatehouse_audit_writer';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const TABLES = ['audit_entries', 'audit_nodes', 'audit_checkpoints'] as const;

/**
 * The setup script for a writer role named `writerRole` (plain lower-case identifier). It is
 * idempotent: run again, it changes nothing but the grants, which it sets afresh.
 * @throws {AuditError} `ERR_AUDIT_OPTIONS_INVALID` for a role name that is not plain.
 */
export function auditSetupSql(writerRole: string = DEFAULT_AUDIT_WRITER_ROLE): string {
  if (!ROLE_NAME.test(writerRole)) {
    throw new AuditError('ERR_AUDIT_OPTIONS_INVALID', 'The writer role is a plain identifier.');
  }
  const tables = TABLES.join(', ');
  const triggers = TABLES.map(
    (table) => `CREATE OR REPLACE TRIGGER ${table}_append_only
  BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER ${table}_no_truncate
  BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
`,
  ).join('');

  return `-- Gatehouse audit log: schema, append-only triggers, insert-only writer role.
-- Run as the owner role on the audit database (not the app database). PostgreSQL 14+.
-- Then let the writer log in: ALTER ROLE ${writerRole} LOGIN PASSWORD '…';

CREATE TABLE IF NOT EXISTS audit_entries (
  seq BIGINT PRIMARY KEY CHECK (seq >= 0),
  leaf BYTEA NOT NULL CHECK (octet_length(leaf) = 32),
  entry TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor_id TEXT GENERATED ALWAYS AS ((entry::jsonb) -> 'actor' ->> 'id') STORED,
  action TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'action') STORED,
  resource TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'resource') STORED,
  outcome TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'outcome') STORED,
  occurred_at TEXT GENERATED ALWAYS AS ((entry::jsonb) ->> 'timestamp') STORED
);
CREATE INDEX IF NOT EXISTS audit_entries_actor ON audit_entries (actor_id, seq);
CREATE INDEX IF NOT EXISTS audit_entries_action ON audit_entries (action, seq);
CREATE INDEX IF NOT EXISTS audit_entries_resource ON audit_entries (resource, seq);
CREATE INDEX IF NOT EXISTS audit_entries_occurred ON audit_entries (occurred_at, seq);

CREATE TABLE IF NOT EXISTS audit_nodes (
  level SMALLINT NOT NULL CHECK (level >= 0),
  idx BIGINT NOT NULL CHECK (idx >= 0),
  hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, idx)
);

CREATE TABLE IF NOT EXISTS audit_checkpoints (
  size BIGINT PRIMARY KEY CHECK (size >= 0),
  note TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;

${triggers}
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${writerRole}') THEN
    CREATE ROLE ${writerRole} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;

REVOKE ALL ON ${tables} FROM PUBLIC;
REVOKE ALL ON ${tables} FROM ${writerRole};
GRANT SELECT, INSERT ON ${tables} TO ${writerRole};
GRANT USAGE ON SCHEMA public TO ${writerRole};
`;
}

/**
 * Runs `auditSetupSql(writerRole)` on a connection of the owner role.
 * @example
 * const owner = openPostgres(process.env.AUDIT_OWNER_URL);
 * await setupAuditDatabase(owner);
 */
export async function setupAuditDatabase(
  owner: SqlClient,
  options: { readonly writerRole?: string } = {},
): Promise<void> {
  await owner.execute(auditSetupSql(options.writerRole));
}
