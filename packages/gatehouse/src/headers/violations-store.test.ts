import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { migrate } from '../sql/migrate.js';
import { openSqlite } from '../sql/sqlite.js';
import type { SqlClient } from '../sql/types.js';
import type { CspViolation } from './reports.js';
import {
  createSqlCspViolationStore,
  cspViolationMigrations,
  type CspViolationStore,
} from './violations-store.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const inline: CspViolation = {
  directive: 'script-src-elem',
  blockedOrigin: 'inline',
  documentPath: '/login',
  disposition: 'report',
  extension: false,
};

describe('the SQL CSP violation store on SQLite', () => {
  let db: SqlClient;
  let store: CspViolationStore;

  beforeEach(async () => {
    db = openSqlite(':memory:');
    await migrate(db, cspViolationMigrations);
    store = createSqlCspViolationStore(db);
  });

  afterEach(() => db.close());

  it('counts page views per hour and sums the hours that end after a date', async () => {
    await store.recordPageViews(3, at(0));
    await store.recordPageViews(4, at(59));
    await store.recordPageViews(5, at(60));
    await store.recordPageViews(0, at(120));

    expect(await store.pageViews({ since: at(0) })).toBe(12);
    expect(await store.pageViews({ since: at(30) })).toBe(12);
    expect(await store.pageViews({ since: at(61) })).toBe(5);
    expect(await store.pageViews({ since: at(121) })).toBe(0);
    await expect(store.recordPageViews(-1, at(0))).rejects.toThrow(RangeError);
    await expect(store.recordPageViews(1.5, at(0))).rejects.toThrow(RangeError);
  });

  it('counts repeated violations in one group, across deliveries', async () => {
    await store.record([inline, inline, inline], at(0));
    await store.record([inline], at(5));

    expect(await store.summary({ since: T0 })).toEqual([
      {
        directive: 'script-src-elem',
        blockedOrigin: 'inline',
        documentPath: '/login',
        disposition: 'report',
        extension: false,
        count: 4,
        firstSeen: at(0),
        lastSeen: at(5),
      },
    ]);
  });

  it('keeps each directive, origin, page and disposition apart, most reported first', async () => {
    await store.record(
      [
        inline,
        inline,
        { ...inline, disposition: 'enforce' },
        { ...inline, documentPath: '/signup' },
        { ...inline, blockedOrigin: 'https://cdn.example' },
        { ...inline, directive: 'style-src-elem' },
      ],
      at(0),
    );

    const groups = await store.summary({ since: T0 });
    expect(groups).toHaveLength(5);
    expect(groups[0]).toMatchObject({ count: 2, documentPath: '/login', disposition: 'report' });
  });

  it('keeps the earliest first-seen and the latest last-seen when reports arrive late', async () => {
    await store.record([inline], at(10));
    await store.record([inline], at(2));

    const [group] = await store.summary({ since: T0 });
    expect(group).toMatchObject({ count: 2, firstSeen: at(2), lastSeen: at(10) });
  });

  it('returns only the groups seen since the given time', async () => {
    await store.record([{ ...inline, documentPath: '/old' }], at(0));
    await store.record([inline], at(60));

    const groups = await store.summary({ since: at(30) });
    expect(groups.map((group) => group.documentPath)).toEqual(['/login']);
  });

  it('marks a group as extension noise only while every report of it is', async () => {
    const fromExtension = { ...inline, blockedOrigin: 'chrome-extension', extension: true };
    await store.record([fromExtension, fromExtension], at(0));
    expect((await store.summary({ since: T0 }))[0]?.extension).toBe(true);

    await store.record([{ ...fromExtension, extension: false }], at(1));
    expect((await store.summary({ since: T0 }))[0]?.extension).toBe(false);

    await store.record([fromExtension], at(2));
    expect((await store.summary({ since: T0 }))[0]).toMatchObject({ extension: false, count: 4 });
  });

  it('is not fooled by a value that spells another group when concatenated', async () => {
    await store.record(
      [
        { ...inline, directive: 'img-src', blockedOrigin: 'data' },
        { ...inline, directive: 'img-srcd', blockedOrigin: 'ata' },
      ],
      at(0),
    );
    expect(await store.summary({ since: T0 })).toHaveLength(2);
  });

  it('stores values with quotes and SQL in them as plain data', async () => {
    const hostile = { ...inline, documentPath: "/x'); DROP TABLE gatehouse_csp_violations; --" };
    await store.record([hostile], at(0));

    const [group] = await store.summary({ since: T0 });
    expect(group?.documentPath).toBe(hostile.documentPath);
  });

  it('records nothing for an empty list', async () => {
    await store.record([], at(0));
    expect(await store.summary({ since: T0 })).toEqual([]);
  });

  it('refuses an invalid time', async () => {
    await expect(store.record([inline], new Date(Number.NaN))).rejects.toThrow(RangeError);
  });

  it('refuses a disposition the schema does not know', async () => {
    const bad = { ...inline, disposition: 'maybe' as CspViolation['disposition'] };
    await expect(store.record([bad], at(0))).rejects.toThrow(/CHECK constraint/);
    expect(await store.summary({ since: T0 })).toEqual([]);
  });
});
