/**
 * CSP violations counted per group on the app database (SQLite or PostgreSQL, through
 * `SqlClient`), so that a policy can be judged on weeks of reports without keeping each one.
 * @module
 */
import type { Migration, SqlClient } from '../sql/types.js';
import type { CspViolation } from './reports.js';

const TABLE = 'gatehouse_csp_violations';

// BIGINT is 8 bytes on PostgreSQL and INTEGER affinity on SQLite, so one text serves both. Times
// are milliseconds since the epoch; `extension` is 1 or 0.
const SCHEMA = `
CREATE TABLE ${TABLE} (
  directive TEXT NOT NULL,
  blocked_origin TEXT NOT NULL,
  document_path TEXT NOT NULL,
  disposition TEXT NOT NULL CHECK (disposition IN ('enforce', 'report')),
  extension SMALLINT NOT NULL CHECK (extension IN (0, 1)),
  count BIGINT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  UNIQUE (directive, blocked_origin, document_path, disposition)
);
CREATE INDEX ${TABLE}_last_seen ON ${TABLE} (last_seen);
`;

const VIEWS = 'gatehouse_csp_page_views';

// Page views served with a policy, per hour: the traffic a rollout verdict is judged against.
const VIEWS_SCHEMA = `
CREATE TABLE ${VIEWS} (
  hour BIGINT PRIMARY KEY,
  views BIGINT NOT NULL
);
`;

/** The violations and page-view tables; apply with `migrate(db, cspViolationMigrations)`. */
export const cspViolationMigrations: readonly Migration[] = [
  { id: 'gatehouse_csp_violations_0001_create', sqlite: SCHEMA, postgres: SCHEMA },
  { id: 'gatehouse_csp_violations_0002_page_views', sqlite: VIEWS_SCHEMA, postgres: VIEWS_SCHEMA },
];

const ADD_VIEWS = `
INSERT INTO ${VIEWS} AS p (hour, views) VALUES ($1, $2)
ON CONFLICT (hour) DO UPDATE SET views = p.views + excluded.views`;

// Hours that began before `since` but end after it count whole: a verdict errs towards traffic
// seen by at most an hour.
const VIEWS_SINCE = `SELECT COALESCE(SUM(views), 0) AS views FROM ${VIEWS} WHERE hour > $1`;

const HOUR_MS = 3_600_000;

// A group is first-party as soon as one of its reports is: `extension` only stays 1 while every
// report of the group came from an extension.
const UPSERT = `
INSERT INTO ${TABLE} AS v
  (directive, blocked_origin, document_path, disposition, extension, count, first_seen, last_seen)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (directive, blocked_origin, document_path, disposition) DO UPDATE SET
  count = v.count + excluded.count,
  extension = CASE WHEN excluded.extension = 0 THEN 0 ELSE v.extension END,
  first_seen = CASE WHEN excluded.first_seen < v.first_seen THEN excluded.first_seen
    ELSE v.first_seen END,
  last_seen = CASE WHEN excluded.last_seen > v.last_seen THEN excluded.last_seen
    ELSE v.last_seen END`;

const SUMMARY = `
SELECT directive, blocked_origin, document_path, disposition, extension, count, first_seen,
  last_seen
FROM ${TABLE}
WHERE last_seen >= $1
ORDER BY count DESC, directive, blocked_origin, document_path, disposition`;

/** The violations of one directive, blocked origin, page and disposition. */
export interface ViolationGroup {
  readonly directive: string;
  readonly blockedOrigin: string;
  readonly documentPath: string;
  readonly disposition: 'enforce' | 'report';
  /** True only while every report of the group came from a browser extension. */
  readonly extension: boolean;
  /** Reports counted since `firstSeen`. */
  readonly count: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
}

/** Where violation counts are kept. */
export interface CspViolationStore {
  /** Counts violations seen at `now`, one upsert per group in one transaction. */
  record(violations: readonly CspViolation[], now: Date): Promise<void>;
  /** The groups seen at or after `since`, most reported first. */
  summary(options: { readonly since: Date }): Promise<ViolationGroup[]>;
  /** Counts `views` pages served with a CSP at `now`, in the hour that holds it. */
  recordPageViews(views: number, now: Date): Promise<void>;
  /** Pages served with a CSP in the hours that end after `since`. */
  pageViews(options: { readonly since: Date }): Promise<number>;
}

/**
 * Creates the violations store on the app database. Run `cspViolationMigrations` first.
 *
 * @example
 * await migrate(db, cspViolationMigrations);
 * const violations = createSqlCspViolationStore(db);
 * await violations.record(intake.violations, new Date());
 */
export function createSqlCspViolationStore(db: SqlClient): CspViolationStore {
  return {
    async record(violations, now) {
      const at = now.getTime();
      if (!Number.isSafeInteger(at)) throw new RangeError('The time of a report must be valid');
      const groups = countByGroup(violations);
      if (groups.size === 0) return;

      await db.transaction(async (tx) => {
        for (const group of groups.values()) {
          const { violation: v, count } = group;
          await tx.execute(UPSERT, [
            v.directive,
            v.blockedOrigin,
            v.documentPath,
            v.disposition,
            group.extension ? 1 : 0,
            count,
            at,
          ]);
        }
      });
    },

    async summary({ since }) {
      const rows = await db.query(SUMMARY, [since.getTime()]);
      return rows.map(groupOf);
    },

    async recordPageViews(views, now) {
      if (!Number.isSafeInteger(views) || views < 0) {
        throw new RangeError('Page views must be a whole number');
      }
      if (views === 0) return;
      const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
      if (!Number.isSafeInteger(hour)) throw new RangeError('The time of the views must be valid');
      await db.execute(ADD_VIEWS, [hour, views]);
    },

    async pageViews({ since }) {
      const [row] = await db.query(VIEWS_SINCE, [since.getTime() - HOUR_MS]);
      return Number(row?.['views'] ?? 0);
    },
  };
}

interface PendingGroup {
  readonly violation: CspViolation;
  count: number;
  extension: boolean;
}

/** A delivery often repeats one violation; each group is written once. */
function countByGroup(violations: readonly CspViolation[]): Map<string, PendingGroup> {
  const groups = new Map<string, PendingGroup>();
  for (const violation of violations) {
    // Length-prefixed, so no two groups can spell the same key.
    const key = [
      violation.directive,
      violation.blockedOrigin,
      violation.documentPath,
      violation.disposition,
    ]
      .map((part) => `${part.length}:${part}`)
      .join('');
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { violation, count: 1, extension: violation.extension });
    } else {
      group.count += 1;
      group.extension &&= violation.extension;
    }
  }
  return groups;
}

function groupOf(row: Record<string, unknown>): ViolationGroup {
  return {
    directive: String(row['directive']),
    blockedOrigin: String(row['blocked_origin']),
    documentPath: String(row['document_path']),
    disposition: row['disposition'] === 'report' ? 'report' : 'enforce',
    extension: Number(row['extension']) === 1,
    // node-postgres returns BIGINT as a string; counts stay far below 2^53.
    count: Number(row['count']),
    firstSeen: new Date(Number(row['first_seen'])),
    lastSeen: new Date(Number(row['last_seen'])),
  };
}
