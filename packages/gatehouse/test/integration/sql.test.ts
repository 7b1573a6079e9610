import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { migrate, openPostgres, openSqlite, type Migration, type SqlClient } from 'gatehouse/sql';
import { GatehouseError } from '../../src/errors.js';
import { createTestDatabase } from '../support/postgres.js';

interface Database {
  open(): SqlClient; // another client on the same database
  drop(): Promise<void>;
}

const sqliteDir = await mkdtemp(join(tmpdir(), 'gatehouse-sql-'));
// A directory that does not exist yet, so openSqlite has to create it.
const sqliteFile = join(sqliteDir, 'data', 'app.db');

const targets = [
  {
    dialect: 'sqlite',
    create: async (): Promise<Database> => ({
      open: () => openSqlite(sqliteFile),
      drop: () => rm(sqliteDir, { recursive: true, force: true }),
    }),
  },
  {
    dialect: 'postgres',
    create: async (): Promise<Database> => {
      const database = await createTestDatabase();
      return { open: () => openPostgres(database.url), drop: database.drop };
    },
  },
] as const;

describe.each(targets)('SqlClient on $dialect', ({ dialect, create }) => {
  let database: Database;
  let db: SqlClient;
  const others: SqlClient[] = [];

  const another = (): SqlClient => {
    const client = database.open();
    others.push(client);
    return client;
  };

  beforeAll(async () => {
    database = await create();
    db = database.open();
  });

  afterAll(async () => {
    await Promise.all([db, ...others].map((client) => client.close()));
    await database.drop();
  });

  it('round-trips create, read, update and delete', async () => {
    expect(db.dialect).toBe(dialect);
    await db.execute(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN NOT NULL)',
    );

    const inserted = await db.execute('INSERT INTO items VALUES ($1, $2, $3)', [1, 'one', true]);
    expect(inserted.rowCount).toBe(1);
    await db.execute('INSERT INTO items VALUES ($1, $2, $3)', [2, 'two', false]);

    // $1 used twice, out of order with $2, and a quoted '$1' that is not a parameter.
    const rows = await db.query<{ id: number; name: string; active: unknown; literal: string }>(
      "SELECT id, name, active, '$1' AS literal FROM items " +
        'WHERE name = $2 OR id = $1 OR id = $1 ORDER BY id',
      [1, 'two'],
    );
    expect(rows.map((row) => ({ ...row, active: Boolean(row.active) }))).toEqual([
      { id: 1, name: 'one', active: true, literal: '$1' },
      { id: 2, name: 'two', active: false, literal: '$1' },
    ]);

    const updated = await db.execute('UPDATE items SET name = $1 WHERE id = $2', ['uno', 1]);
    expect(updated.rowCount).toBe(1);
    expect(await db.query('SELECT name FROM items WHERE id = $1', [1])).toEqual([{ name: 'uno' }]);

    expect(await db.execute('DELETE FROM items')).toEqual({ rowCount: 2 });
    expect(await db.query('SELECT * FROM items')).toEqual([]);
  });

  it('runs several statements in one execute call without params', async () => {
    const result = await db.execute(
      'CREATE TABLE many (x INTEGER); INSERT INTO many VALUES (1); INSERT INTO many VALUES (2);',
    );
    expect(result.rowCount).toBe(2);
    expect(await db.query('SELECT x FROM many ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.execute('CREATE TABLE ledger (note TEXT NOT NULL)');

    const value = await db.transaction(async (tx) => {
      await tx.execute('INSERT INTO ledger VALUES ($1)', ['kept']);
      return 42;
    });
    expect(value).toBe(42);

    const failure = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO ledger VALUES ($1)', ['discarded']);
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await db.query('SELECT note FROM ledger')).toEqual([{ note: 'kept' }]);
  });

  it('keeps statements from outside out of an open transaction', async () => {
    await db.execute('CREATE TABLE visits (who TEXT NOT NULL)');
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));

    const transaction = db.transaction(async (tx) => {
      await tx.execute('INSERT INTO visits VALUES ($1)', ['inside']);
      started();
      await sleep(30);
      throw new Error('roll back');
    });
    await inside;
    const outside = db.execute('INSERT INTO visits VALUES ($1)', ['outside']);

    await expect(transaction).rejects.toThrow('roll back');
    await outside;
    expect(await db.query('SELECT who FROM visits')).toEqual([{ who: 'outside' }]);
  });

  it('rolls back a nested transaction to its savepoint only', async () => {
    await db.execute('CREATE TABLE steps (step TEXT NOT NULL)');

    await db.transaction(async (tx) => {
      await tx.execute('INSERT INTO steps VALUES ($1)', ['outer-before']);
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute('INSERT INTO steps VALUES ($1)', ['inner']);
          throw new Error('inner fails');
        }),
      ).rejects.toThrow('inner fails');
      await tx.execute('INSERT INTO steps VALUES ($1)', ['outer-after']);
    });

    const rows = await db.query<{ step: string }>('SELECT step FROM steps');
    expect(rows.map((row) => row.step).sort()).toEqual(['outer-after', 'outer-before']);
  });

  it('serialises 20 parallel read-modify-write transactions', async () => {
    await db.execute('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await db.execute('INSERT INTO counter VALUES (1, 0)');
    // SQLite has no row locks; the client's transaction lock (and BEGIN IMMEDIATE) does that job.
    const lock = dialect === 'postgres' ? ' FOR UPDATE' : '';

    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          const [row] = await tx.query<{ n: number }>(`SELECT n FROM counter WHERE id = 1${lock}`);
          await sleep(1);
          await tx.execute('UPDATE counter SET n = $1 WHERE id = 1', [(row?.n ?? 0) + 1]);
        }),
      ),
    );

    expect(await db.query('SELECT n FROM counter WHERE id = 1')).toEqual([{ n: 20 }]);
  });

  it('refuses a tx client once its transaction has ended', async () => {
    let leaked: SqlClient | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked?.query('SELECT 1 AS one')).rejects.toThrow(/already ended/);
  });

  it.runIf(dialect === 'sqlite')('rejects, not hangs, when fn uses the locked client', async () => {
    await expect(db.transaction(() => db.query('SELECT 1 AS one'))).rejects.toThrow(/tx client/);
  });

  it.runIf(dialect === 'postgres')('fails the commit after a swallowed failure', async () => {
    const swallow = (tx: SqlClient) => tx.query('SELECT * FROM nowhere').catch(() => []);
    await expect(db.transaction(swallow)).rejects.toThrow(/rolled back/);
  });

  describe('migrate', () => {
    const both = (id: string, sql: string): Migration => ({ id, sqlite: sql, postgres: sql });
    const migrations = (name: string): Migration[] => [
      both('0001_create', `CREATE TABLE ${name} (x INTEGER)`),
      both('0002_seed', `INSERT INTO ${name} VALUES (1)`),
    ];
    const records = async (table: string) =>
      (await db.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).map((row) => row.id);

    it('applies pending migrations once and is idempotent on re-run', async () => {
      expect(await migrate(db, migrations('once'))).toEqual(['0001_create', '0002_seed']);
      expect(await migrate(db, migrations('once'))).toEqual([]);

      expect(await records('gatehouse_migrations')).toEqual(['0001_create', '0002_seed']);
      expect(await db.query('SELECT x FROM once')).toEqual([{ x: 1 }]);
    });

    it('applies each migration once when two clients migrate at the same time', async () => {
      const options = { table: 'race_migrations' };
      const [first, second] = await Promise.all([
        migrate(another(), migrations('race'), options),
        migrate(another(), migrations('race'), options),
      ]);

      expect([...first, ...second].sort()).toEqual(['0001_create', '0002_seed']);
      expect(await records('race_migrations')).toEqual(['0001_create', '0002_seed']);
      expect(await db.query('SELECT x FROM race')).toEqual([{ x: 1 }]);
    });

    it('throws ERR_SQL_MIGRATION for a failing migration and records nothing for it', async () => {
      const failing: Migration[] = [
        ...migrations('partial'),
        both('0003_broken', 'CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1);'),
      ];
      const options = { table: 'failing_migrations' };
      const error = await migrate(db, failing, options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatehouseError);
      expect(error).toMatchObject({
        code: 'ERR_SQL_MIGRATION',
        message: 'Migration 0003_broken failed',
      });
      expect((error as Error).cause).toBeInstanceOf(Error);

      expect(await records('failing_migrations')).toEqual(['0001_create', '0002_seed']);
      await expect(db.query('SELECT x FROM half_done')).rejects.toThrow();
    });
  });

  it.runIf(dialect === 'sqlite')('creates a new database file with mode 0600', async () => {
    expect((await stat(sqliteFile)).mode & 0o777).toBe(0o600);
    expect((await stat(`${sqliteFile}-wal`)).mode & 0o777).toBe(0o600);
    expect((await stat(join(sqliteDir, 'data'))).mode & 0o777).toBe(0o700);
  });
});

describe('openSqlite', () => {
  it('opens an in-memory database', async () => {
    const db = openSqlite(':memory:');
    expect(await db.query('SELECT 1 + $1 AS two', [1])).toEqual([{ two: 2 }]);
    await db.close();
    await db.close();
  });
});
