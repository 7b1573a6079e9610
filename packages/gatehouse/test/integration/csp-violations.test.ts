import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createSqlCspViolationStore,
  cspViolationMigrations,
  normaliseReports,
  rolloutVerdict,
  type CspViolation,
} from 'gatehouse/headers';
import { migrate, openPostgres, type SqlClient } from 'gatehouse/sql';
import { createTestDatabase } from '../support/postgres.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const inline: CspViolation = {
  directive: 'script-src-elem',
  blockedOrigin: 'inline',
  documentPath: '/login',
  disposition: 'report',
  extension: false,
};

describe('the SQL CSP violation store on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: SqlClient;
  let other: SqlClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = openPostgres(database.url);
    other = openPostgres(database.url);
    await migrate(db, cspViolationMigrations);
  });

  afterAll(async () => {
    await Promise.all([db?.close(), other?.close()]);
    await database?.drop();
  });

  it('counts, dates and reads groups back with the types SQLite gives', async () => {
    const store = createSqlCspViolationStore(db);
    await store.record([inline, inline, { ...inline, extension: true, documentPath: '/x' }], at(0));
    await store.record([inline], at(3));

    expect(await store.summary({ since: T0 })).toEqual([
      {
        ...inline,
        count: 3,
        firstSeen: at(0),
        lastSeen: at(3),
      },
      {
        ...inline,
        documentPath: '/x',
        extension: true,
        count: 1,
        firstSeen: at(0),
        lastSeen: at(0),
      },
    ]);
  });

  it('loses no count when two connections record the same group at once', async () => {
    const path = { ...inline, documentPath: '/concurrent' };
    const writers = [createSqlCspViolationStore(db), createSqlCspViolationStore(other)];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => writers[i % 2]?.record([path, path], at(i))),
    );

    const groups = await createSqlCspViolationStore(db).summary({ since: T0 });
    expect(groups.find((group) => group.documentPath === '/concurrent')).toMatchObject({
      count: 40,
      firstSeen: at(0),
      lastSeen: at(19),
    });
  });

  it('takes a Reporting API delivery through intake, storage and verdict', async () => {
    const delivery = [
      {
        type: 'csp-violation',
        body: {
          documentURL: 'https://app.example.com/settings?tab=keys',
          blockedURL: 'https://widgets.example.net/embed.js?id=9',
          effectiveDirective: 'script-src-elem',
          disposition: 'report',
        },
      },
      { type: 'deprecation', body: {} },
    ];
    const intake = normaliseReports('application/reports+json', delivery);
    if (!intake.ok) throw new Error('the delivery was refused');

    const store = createSqlCspViolationStore(db);
    await store.record(intake.violations, at(100));
    const verdict = rolloutVerdict(await store.summary({ since: at(100) }), {
      since: at(100),
      pageViews: 1000,
    });

    expect(verdict.ready).toBe(false);
    expect(verdict.wouldBreak).toEqual([
      expect.objectContaining({
        blockedOrigin: 'https://widgets.example.net',
        documentPath: '/settings',
      }),
    ]);
  });

  it('applies its migration once', async () => {
    expect(await migrate(db, cspViolationMigrations)).toEqual([]);
  });
});
