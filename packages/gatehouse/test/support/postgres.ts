import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates a uniquely named, empty PostgreSQL database for one test file and returns its URL. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  // The name is generated here, never taken from input, so quoting it as an identifier is enough.
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));

  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;

  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    // FORCE ends connections a failed test left open, which would otherwise block the drop.
    drop: () =>
      (dropped ??= withAdmin((admin) =>
        admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      ).then(() => undefined)),
  };
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh database set up for the audit log by its owner (tables, append-only triggers), with an
 * insert-only writer role of a random name; `drop()` removes both.
 */
export async function createAuditTestDatabase(): Promise<{
  ownerUrl: string;
  writerUrl: string;
  writerRole: string;
  drop(): Promise<void>;
}> {
  const { openPostgres } = await import('../../src/sql/postgres.js');
  const { setupAuditDatabase } = await import('../../src/audit/postgres/setup.js');
  const database = await createTestDatabase();
  const writerRole = `gatehouse_audit_w_${randomBytes(4).toString('hex')}`;
  const owner = openPostgres(database.url);
  try {
    await setupAuditDatabase(owner, { writerRole });
    await owner.execute(`ALTER ROLE ${writerRole} LOGIN`);
  } finally {
    await owner.close();
  }
  const writerUrl = new URL(database.url);
  writerUrl.username = writerRole;
  return {
    ownerUrl: database.url,
    writerUrl: writerUrl.toString(),
    writerRole,
    drop: async () => {
      await database.drop();
      await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${writerRole}`));
    },
  };
}
