-- Gatehouse audit log: schema, append-only triggers, insert-only writer role.
-- Run as the owner role on the audit database (not the app database). PostgreSQL 14+.
-- Then let the writer log in: ALTER ROLE gatehouse_audit_writer LOGIN PASSWORD '…';

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

CREATE OR REPLACE TRIGGER audit_entries_append_only
  BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER audit_entries_no_truncate
  BEFORE TRUNCATE ON audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER audit_nodes_append_only
  BEFORE UPDATE OR DELETE ON audit_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER audit_nodes_no_truncate
  BEFORE TRUNCATE ON audit_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE OR REPLACE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_audit_writer') THEN
    CREATE ROLE gatehouse_audit_writer NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;

REVOKE ALL ON audit_entries, audit_nodes, audit_checkpoints FROM PUBLIC;
REVOKE ALL ON audit_entries, audit_nodes, audit_checkpoints FROM gatehouse_audit_writer;
GRANT SELECT, INSERT ON audit_entries, audit_nodes, audit_checkpoints TO gatehouse_audit_writer;
GRANT USAGE ON SCHEMA public TO gatehouse_audit_writer;
