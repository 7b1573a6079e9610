import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { migrate, openPostgres, openSqlite, type SqlClient } from 'gatehouse/sql';
import {
  accountMigrations,
  createAccountStore,
  type AccountStore,
} from '../../src/auth/accounts/index.js';
import type { Role } from '../../src/auth/types.js';
import { createTestDatabase } from '../support/postgres.js';

interface Target {
  readonly db: SqlClient;
  /** Another client on the same database, so concurrent calls really race. */
  readonly other: SqlClient;
  cleanUp(): Promise<void>;
}

const targets = [
  {
    dialect: 'sqlite',
    open: async (): Promise<Target> => {
      const dir = await mkdtemp(join(tmpdir(), 'gatehouse-accounts-'));
      const [db, other] = [openSqlite(join(dir, 'app.db')), openSqlite(join(dir, 'app.db'))];
      const cleanUp = async () => {
        await Promise.all([db.close(), other.close()]);
        await rm(dir, { recursive: true });
      };
      return { db, other, cleanUp };
    },
  },
  {
    dialect: 'postgres',
    open: async (): Promise<Target> => {
      const database = await createTestDatabase();
      const [db, other] = [openPostgres(database.url), openPostgres(database.url)];
      const cleanUp = async () => {
        await Promise.all([db.close(), other.close()]);
        await database.drop();
      };
      return { db, other, cleanUp };
    },
  },
] as const;

const START = Date.parse('2025-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(targets)('account store on $dialect', ({ open }) => {
  let target: Target;
  let time = START;
  const clock = () => time;
  let accounts: AccountStore;
  let racing: AccountStore;

  beforeAll(async () => {
    target = await open();
    expect(await migrate(target.db, accountMigrations)).toEqual(['gatehouse_accounts_0001_create']);
    accounts = createAccountStore(target.db, clock);
    racing = createAccountStore(target.other, clock);
  });

  afterAll(() => target.cleanUp());

  beforeEach(async () => {
    time = START;
    await target.db.execute('DELETE FROM accounts');
  });

  it('creates an account under a normalised email and finds it by email or id', async () => {
    const account = await accounts.create({ email: '  Alice@Example.COM ', passwordHash: 'h1' });

    expect(account).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-/),
      email: 'alice@example.com',
      role: 'user',
      passwordHash: 'h1',
      createdAt: iso(START),
      passwordChangedAt: iso(START),
      disabledAt: undefined,
    });
    expect(await accounts.findByEmail('ALICE@example.com\t')).toEqual(account);
    expect(await accounts.findById(account?.id ?? '')).toEqual(account);

    expect(await accounts.findByEmail('bob@example.com')).toBeUndefined();
    expect(await accounts.findById(crypto.randomUUID())).toBeUndefined();
  });

  it('creates an admin when asked and refuses a role outside the schema', async () => {
    const input = { email: 'root@example.com', passwordHash: 'h' };
    expect((await accounts.create({ ...input, role: 'admin' }))?.role).toBe('admin');

    const role = 'owner' as Role;
    await expect(accounts.create({ ...input, email: 'x@example.com', role })).rejects.toThrow();
  });

  it('returns undefined for a taken email, whatever its case or spacing', async () => {
    const first = await accounts.create({ email: 'carol@example.com', passwordHash: 'h1' });
    expect(first).toBeDefined();

    const again = await accounts.create({ email: ' CAROL@example.com', passwordHash: 'h2' });
    expect(again).toBeUndefined();
    expect(await accounts.findByEmail('carol@example.com')).toEqual(first);
  });

  it('creates exactly one account when sign-ups with one email race', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? accounts : racing).create({ email: 'Dave@x.com', passwordHash: `h${i}` }),
      ),
    );

    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
    expect(await accounts.list({ limit: 10, offset: 0 })).toHaveLength(1);
  });

  it('moves passwordChangedAt on a change but not on a rehash', async () => {
    const account = await accounts.create({ email: 'erin@example.com', passwordHash: 'old' });
    const id = account?.id ?? '';

    time = START + 60_000;
    await accounts.setPasswordHash(id, 'new', true);
    expect(await accounts.findById(id)).toMatchObject({
      passwordHash: 'new',
      createdAt: iso(START),
      passwordChangedAt: iso(START + 60_000),
    });

    time = START + 120_000;
    await accounts.setPasswordHash(id, 'rehashed', false);
    expect(await accounts.findById(id)).toMatchObject({
      passwordHash: 'rehashed',
      passwordChangedAt: iso(START + 60_000),
    });
  });

  it('changes the role of an existing account only', async () => {
    const account = await accounts.create({ email: 'frank@example.com', passwordHash: 'h' });

    expect(await accounts.setRole(account?.id ?? '', 'admin')).toBe(true);
    expect((await accounts.findById(account?.id ?? ''))?.role).toBe('admin');
    expect(await accounts.setRole(crypto.randomUUID(), 'admin')).toBe(false);
  });

  it('disables, keeps the first disabledAt, and re-enables', async () => {
    const account = await accounts.create({ email: 'grace@example.com', passwordHash: 'h' });
    const id = account?.id ?? '';

    time = START + 1_000;
    expect(await accounts.setDisabled(id, true)).toBe(true);
    time = START + 2_000;
    expect(await accounts.setDisabled(id, true)).toBe(true);
    expect((await accounts.findById(id))?.disabledAt).toBe(iso(START + 1_000));

    expect(await accounts.setDisabled(id, false)).toBe(true);
    expect((await accounts.findById(id))?.disabledAt).toBeUndefined();
    expect(await accounts.setDisabled(crypto.randomUUID(), true)).toBe(false);
  });

  it('lists oldest first and pages with limit and offset', async () => {
    const created = [];
    for (const name of ['a', 'b', 'c']) {
      created.push(await accounts.create({ email: `${name}@example.com`, passwordHash: 'h' }));
      time += 1_000;
    }
    const [a, b, c] = created;

    expect(await accounts.list({ limit: 10, offset: 0 })).toEqual([a, b, c]);
    expect(await accounts.list({ limit: 2, offset: 0 })).toEqual([a, b]);
    expect(await accounts.list({ limit: 2, offset: 2 })).toEqual([c]);
    expect(await accounts.list({ limit: 2, offset: 3 })).toEqual([]);
    await expect(accounts.list({ limit: -1, offset: 0 })).rejects.toThrow(RangeError);
    await expect(accounts.list({ limit: 1, offset: -1 })).rejects.toThrow(RangeError);
  });

  describe('password reset tokens', () => {
    let accountId: string;
    const expiresAt = START + 3_600_000;

    beforeEach(async () => {
      const account = await accounts.create({ email: 'heidi@example.com', passwordHash: 'h' });
      accountId = account?.id ?? '';
    });

    it('consumes a token once', async () => {
      await accounts.addResetToken({ tokenHash: 'hash-1', accountId, expiresAt });

      expect(await accounts.consumeResetToken('hash-1', START + 1)).toBe(accountId);
      expect(await accounts.consumeResetToken('hash-1', START + 2)).toBeUndefined();
      expect(await accounts.consumeResetToken('unknown', START + 3)).toBeUndefined();
    });

    it('gives the account id to exactly one of 10 concurrent consumes', async () => {
      await accounts.addResetToken({ tokenHash: 'hash-race', accountId, expiresAt });

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? accounts : racing).consumeResetToken('hash-race', START + 1),
        ),
      );
      expect(results.filter((result) => result !== undefined)).toEqual([accountId]);
    });

    it('refuses a token at and after its expiry', async () => {
      await accounts.addResetToken({ tokenHash: 'hash-old', accountId, expiresAt });

      expect(await accounts.consumeResetToken('hash-old', expiresAt)).toBeUndefined();
      expect(await accounts.consumeResetToken('hash-old', expiresAt + 1)).toBeUndefined();
      expect(await accounts.consumeResetToken('hash-old', expiresAt - 1)).toBe(accountId);
    });

    it('drops every token of one account and leaves the others', async () => {
      const other = await accounts.create({ email: 'ivan@example.com', passwordHash: 'h' });
      await accounts.addResetToken({ tokenHash: 'hash-a', accountId, expiresAt });
      await accounts.addResetToken({ tokenHash: 'hash-b', accountId, expiresAt });
      await accounts.addResetToken({ tokenHash: 'hash-c', accountId: other?.id ?? '', expiresAt });

      expect(await accounts.dropResetTokens(accountId)).toBe(2);
      expect(await accounts.consumeResetToken('hash-a', START)).toBeUndefined();
      expect(await accounts.consumeResetToken('hash-b', START)).toBeUndefined();
      expect(await accounts.consumeResetToken('hash-c', START)).toBe(other?.id);
      expect(await accounts.dropResetTokens(accountId)).toBe(0);
    });

    it('refuses a token for an unknown account and a fractional time', async () => {
      const unknown = crypto.randomUUID();
      await expect(
        accounts.addResetToken({ tokenHash: 'hash-x', accountId: unknown, expiresAt }),
      ).rejects.toThrow();
      await expect(
        accounts.addResetToken({ tokenHash: 'hash-y', accountId, expiresAt: 1.5 }),
      ).rejects.toThrow(RangeError);
      await expect(accounts.consumeResetToken('hash-y', 1.5)).rejects.toThrow(RangeError);
    });

    it('deletes the tokens of a deleted account', async () => {
      await accounts.addResetToken({ tokenHash: 'hash-gone', accountId, expiresAt });
      await target.db.execute('DELETE FROM accounts WHERE id = $1', [accountId]);

      expect(await target.db.query('SELECT token_hash FROM password_reset_tokens')).toEqual([]);
    });
  });
});
