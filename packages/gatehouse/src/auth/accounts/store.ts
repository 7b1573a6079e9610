import type { SqlClient } from '../../sql/types.js';
import { isoTimestamp, isRowCount } from '../../sql/values.js';
import { systemClock, type Clock, type Role } from '../types.js';

/** An account as the store returns it; timestamps are ISO 8601 UTC strings with milliseconds. */
export interface Account {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAt: string;
  readonly passwordChangedAt: string;
  readonly disabledAt: string | undefined;
}

/** Reads and writes accounts and their password reset tokens on either SQL dialect. */
export interface AccountStore {
  /**
   * Creates an account; `undefined` when the (normalised) email is taken — decided by a UNIQUE
   * constraint, never by a read-then-insert race.
   */
  create(input: { email: string; passwordHash: string; role?: Role }): Promise<Account | undefined>;
  /** Returns the account with this email (trimmed and lowercased first), if any. */
  findByEmail(email: string): Promise<Account | undefined>;
  /** Returns the account with this id, if any. */
  findById(id: string): Promise<Account | undefined>;
  /** Stores a new hash; `changed` also moves passwordChangedAt, `false` marks a mere rehash. */
  setPasswordHash(id: string, passwordHash: string, changed: boolean): Promise<void>;
  /** Changes the role; returns whether the account exists. */
  setRole(id: string, role: Role): Promise<boolean>;
  /** Disables (keeping the first disabledAt) or re-enables; returns whether the account exists. */
  setDisabled(id: string, disabled: boolean): Promise<boolean>;
  /** Returns one page of accounts, oldest first (created_at, then id). */
  list(page: { limit: number; offset: number }): Promise<Account[]>;
  /** Stores a reset token by its hash; the caller hashes, so the token itself is never stored. */
  addResetToken(input: { tokenHash: string; accountId: string; expiresAt: number }): Promise<void>;
  /**
   * Marks a reset token used and returns its account id — atomically, so of two concurrent calls
   * exactly one gets the id (UPDATE … WHERE used_at IS NULL AND expires_at > now RETURNING).
   */
  consumeResetToken(tokenHash: string, now: number): Promise<string | undefined>;
  /**
   * Deletes every pending reset token of an account (after a reset or a password change), and
   * its spent and expired ones with them; returns how many rows went.
   */
  dropResetTokens(accountId: string): Promise<number>;
}

interface AccountRow extends Record<string, unknown> {
  id: string;
  email: string;
  role: Role;
  password_hash: string;
  created_at: unknown;
  password_changed_at: unknown;
  disabled_at: unknown;
}

const COLUMNS = 'id, email, role, password_hash, created_at, password_changed_at, disabled_at';

/** Creates the accounts store over a database that accountMigrations have been applied to. */
export function createAccountStore(db: SqlClient, clock: Clock = systemClock): AccountStore {
  // Made here rather than by the database, so both dialects store the same millisecond instant.
  const now = () => new Date(clock()).toISOString();

  const findOne = async (where: string, value: string): Promise<Account | undefined> => {
    const [row] = await db.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE ${where}`, [
      value,
    ]);
    return row === undefined ? undefined : toAccount(row);
  };

  return {
    async create({ email, passwordHash, role = 'user' }) {
      const at = now();
      // ON CONFLICT leaves the decision to the UNIQUE index, so two concurrent sign-ups with one
      // address yield one account; the other gets no row back instead of a constraint error.
      const [row] = await db.query<AccountRow>(
        `INSERT INTO accounts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, NULL)
         ON CONFLICT (email) DO NOTHING RETURNING ${COLUMNS}`,
        [crypto.randomUUID(), normaliseEmail(email), role, passwordHash, at],
      );
      return row === undefined ? undefined : toAccount(row);
    },

    findByEmail: (email) => findOne('email = $1', normaliseEmail(email)),

    findById: (id) => findOne('id = $1', id),

    async setPasswordHash(id, passwordHash, changed) {
      if (changed) {
        await db.execute(
          'UPDATE accounts SET password_hash = $2, password_changed_at = $3 WHERE id = $1',
          [id, passwordHash, now()],
        );
      } else {
        await db.execute('UPDATE accounts SET password_hash = $2 WHERE id = $1', [
          id,
          passwordHash,
        ]);
      }
    },

    async setRole(id, role) {
      const { rowCount } = await db.execute('UPDATE accounts SET role = $2 WHERE id = $1', [
        id,
        role,
      ]);
      return rowCount > 0;
    },

    async setDisabled(id, disabled) {
      // COALESCE keeps the moment of the first disable when an account is disabled twice.
      const { rowCount } = disabled
        ? await db.execute(
            'UPDATE accounts SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1',
            [id, now()],
          )
        : await db.execute('UPDATE accounts SET disabled_at = NULL WHERE id = $1', [id]);
      return rowCount > 0;
    },

    async list({ limit, offset }) {
      // SQLite reads a negative LIMIT as "no limit"; refuse it rather than return every account.
      if (!isRowCount(limit) || !isRowCount(offset)) {
        throw new RangeError('limit and offset must be non-negative integers');
      }
      const rows = await db.query<AccountRow>(
        `SELECT ${COLUMNS} FROM accounts ORDER BY created_at, id LIMIT $1 OFFSET $2`,
        [limit, offset],
      );
      return rows.map(toAccount);
    },

    async addResetToken({ tokenHash, accountId, expiresAt }) {
      if (!isRowCount(expiresAt)) throw new RangeError('expiresAt must be epoch milliseconds');
      await db.execute(
        `INSERT INTO password_reset_tokens (token_hash, account_id, expires_at, used_at, created_at)
         VALUES ($1, $2, $3, NULL, $4)`,
        [tokenHash, accountId, expiresAt, Math.floor(clock())],
      );
    },

    async consumeResetToken(tokenHash, at) {
      // A fractional time would fail PostgreSQL's bigint comparison and pass SQLite's.
      if (!isRowCount(at)) throw new RangeError('now must be epoch milliseconds');

      // One conditional UPDATE: PostgreSQL re-checks the WHERE clause of a waiting update once
      // the row lock frees, and SQLite runs one writer at a time, so a token is spent only once.
      const [row] = await db.query<{ account_id: string }>(
        `UPDATE password_reset_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING account_id`,
        [tokenHash, at],
      );
      return row?.account_id;
    },

    async dropResetTokens(accountId) {
      const { rowCount } = await db.execute(
        'DELETE FROM password_reset_tokens WHERE account_id = $1',
        [accountId],
      );
      return rowCount;
    },
  };
}

/** Trims and lowercases an email address, the form in which the store writes and looks it up. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: isoTimestamp(row.created_at),
    passwordChangedAt: isoTimestamp(row.password_changed_at),
    disabledAt: row.disabled_at === null ? undefined : isoTimestamp(row.disabled_at),
  };
}
