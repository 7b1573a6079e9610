/**
 * The refresh-session store on the app database (SQLite or PostgreSQL, through `SqlClient`).
 * @module
 */
import type { Migration, SqlClient } from '../../sql/types.js';
import type { RefreshFamily, SessionStore, TokenRotation } from './store.js';
import type { RevokeReason } from './types.js';
import { storedMillis, storedText } from './rows.js';

const SOURCE = 'The session tables';

// BIGINT is an 8-byte integer on PostgreSQL and INTEGER affinity on SQLite, so one text serves
// both. Times are ms since the epoch; tokens are kept only as their SHA-256 hashes.
const SCHEMA = `
CREATE TABLE refresh_families (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);
CREATE INDEX refresh_families_user_id ON refresh_families (user_id);
CREATE TABLE refresh_tokens (
  hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  rotated_at BIGINT,
  successor_hash TEXT,
  sealed_successor TEXT
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);
`;

/** The tables of the SQL session store; apply with `migrate(db, sessionMigrations)`. */
export const sessionMigrations: Migration[] = [
  { id: 'sessions_0001_refresh_tables', sqlite: SCHEMA, postgres: SCHEMA },
];

const FAMILY_COLUMNS =
  'id, user_id, created_at, expires_at, last_used_at, revoked_at, revoke_reason';

const FIND_TOKEN = `
SELECT t.hash, t.rotated_at, t.sealed_successor, s.hash AS successor_hash,
  s.rotated_at AS successor_rotated_at,
  f.id, f.user_id, f.created_at, f.expires_at, f.last_used_at, f.revoked_at, f.revoke_reason
FROM refresh_tokens t
JOIN refresh_families f ON f.id = t.family_id
LEFT JOIN refresh_tokens s ON s.hash = t.successor_hash
WHERE t.hash = $1`;

type Row = Record<string, unknown>;

/**
 * Creates the SQL session store. Run `sessionMigrations` first.
 *
 * @example
 * await migrate(db, sessionMigrations);
 * const sessions = createSessionManager(createSqlSessionStore(db));
 */
export function createSqlSessionStore(db: SqlClient): SessionStore {
  return {
    async createFamily(family, tokenHash) {
      await db.transaction(async (tx) => {
        await tx.execute(
          'INSERT INTO refresh_families (id, user_id, created_at, expires_at, last_used_at) ' +
            'VALUES ($1, $2, $3, $4, $3)',
          [family.id, family.userId, family.createdAt, family.expiresAt],
        );
        await tx.execute(
          'INSERT INTO refresh_tokens (hash, family_id, created_at) VALUES ($1, $2, $3)',
          [tokenHash, family.id, family.createdAt],
        );
      });
    },

    async findToken(hash) {
      const [row] = await db.query(FIND_TOKEN, [hash]);
      if (row === undefined) return undefined;
      return { hash, family: toFamily(row), rotation: toRotation(row) };
    },

    rotate: ({ familyId, oldHash, newHash, sealedSuccessor, now }) =>
      db.transaction(async (tx) => {
        // The family row is written first, so on PostgreSQL it is the lock every rotation and
        // revocation of this family queues on. Under READ COMMITTED the second transaction
        // re-checks revoked_at on the committed row once the first ends, and the token UPDATE
        // below, a new statement, then sees the first one's rotation.
        const live = await tx.execute(
          'UPDATE refresh_families SET last_used_at = ' +
            'CASE WHEN last_used_at < $2 THEN $2 ELSE last_used_at END ' +
            'WHERE id = $1 AND revoked_at IS NULL',
          [familyId, now],
        );
        if (live.rowCount === 0) return { kind: 'refused' } as const;

        // The compare-and-set: only a token not yet rotated is rotated, so one request wins.
        const won = await tx.execute(
          'UPDATE refresh_tokens SET rotated_at = $3, successor_hash = $4, sealed_successor = $5 ' +
            'WHERE hash = $1 AND family_id = $2 AND rotated_at IS NULL',
          [oldHash, familyId, now, newHash, sealedSuccessor],
        );
        if (won.rowCount === 1) {
          await tx.execute(
            'INSERT INTO refresh_tokens (hash, family_id, created_at) VALUES ($1, $2, $3)',
            [newHash, familyId, now],
          );
          return { kind: 'rotated' } as const;
        }

        const [row] = await tx.query(FIND_TOKEN, [oldHash]);
        const rotation = row === undefined ? undefined : toRotation(row);
        return rotation === undefined ? ({ kind: 'refused' } as const) : { kind: 'lost', rotation };
      }),

    async revokeFamily(familyId, reason, now) {
      const [row] = await db.query(
        'UPDATE refresh_families SET revoked_at = $2, revoke_reason = $3 ' +
          `WHERE id = $1 AND revoked_at IS NULL RETURNING ${FAMILY_COLUMNS}`,
        [familyId, now, reason],
      );
      return row === undefined ? undefined : toFamily(row);
    },

    async revokeUserFamilies(userId, reason, now, exceptFamilyId) {
      const except = exceptFamilyId === undefined ? '' : ' AND id <> $4';
      const rows = await db.query(
        'UPDATE refresh_families SET revoked_at = $2, revoke_reason = $3 ' +
          `WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2${except} ` +
          `RETURNING ${FAMILY_COLUMNS}`,
        exceptFamilyId === undefined
          ? [userId, now, reason]
          : [userId, now, reason, exceptFamilyId],
      );
      return rows.map(toFamily);
    },
  };
}

function toFamily(row: Row): RefreshFamily {
  return {
    id: storedText(row.id, SOURCE),
    userId: storedText(row.user_id, SOURCE),
    createdAt: storedMillis(row.created_at, SOURCE),
    expiresAt: storedMillis(row.expires_at, SOURCE),
    lastUsedAt: storedMillis(row.last_used_at, SOURCE),
    revokedAt: row.revoked_at === null ? undefined : storedMillis(row.revoked_at, SOURCE),
    revokeReason:
      row.revoke_reason === null
        ? undefined
        : (storedText(row.revoke_reason, SOURCE) as RevokeReason),
  };
}

function toRotation(row: Row): TokenRotation | undefined {
  if (row.rotated_at === null) return undefined;
  return {
    rotatedAt: storedMillis(row.rotated_at, SOURCE),
    sealedSuccessor: storedText(row.sealed_successor, SOURCE),
    successorIsCurrent: row.successor_hash !== null && row.successor_rotated_at === null,
  };
}
