import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { migrate, openPostgres, openSqlite, type SqlClient } from 'gatehouse/sql';
import { createTestDatabase } from '../../../../packages/gatehouse/test/support/postgres.js';
import { appMigrations } from '../../lib/notes/migrations.js';
import { createNoteStore, type NoteStore } from '../../lib/notes/store.js';

interface Target {
  readonly db: SqlClient;
  cleanUp(): Promise<void>;
}

const targets = [
  {
    dialect: 'sqlite',
    open: async (): Promise<Target> => {
      const dir = await mkdtemp(join(tmpdir(), 'gatehouse-notes-'));
      const db = openSqlite(join(dir, 'app.db'));
      return { db, cleanUp: () => db.close().then(() => rm(dir, { recursive: true })) };
    },
  },
  {
    dialect: 'postgres',
    open: async (): Promise<Target> => {
      const database = await createTestDatabase();
      const db = openPostgres(database.url);
      return { db, cleanUp: () => db.close().then(database.drop) };
    },
  },
] as const;

const ISO_WITH_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(targets)('note store on $dialect', ({ open }) => {
  let target: Target;
  let notes: NoteStore;

  beforeAll(async () => {
    target = await open();
    expect(await migrate(target.db, appMigrations)).toEqual(['0001_notes', '0002_note_owners']);
    notes = createNoteStore(target.db).forOwner('owner-a');
  });

  afterAll(() => target.cleanUp());

  beforeEach(async () => {
    await target.db.execute('DELETE FROM notes');
  });

  it('creates a note and gets it back unchanged', async () => {
    const note = await notes.create({ title: 'First', body: 'Hello' });

    expect(note.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(note).toMatchObject({ title: 'First', body: 'Hello' });
    expect(note.createdAt).toMatch(ISO_WITH_MS);
    expect(note.updatedAt).toBe(note.createdAt);

    expect(await notes.get(note.id)).toEqual(note);
  });

  it('lists newest first and pages with limit and offset', async () => {
    const created = [];
    for (const title of ['a', 'b', 'c']) {
      created.push(await notes.create({ title, body: '' }));
      // Distinct milliseconds, so the order comes from created_at, not the id tie-break.
      await sleep(3);
    }
    const [a, b, c] = created;

    expect(await notes.list({ limit: 10, offset: 0 })).toEqual([c, b, a]);
    expect(await notes.list({ limit: 2, offset: 0 })).toEqual([c, b]);
    expect(await notes.list({ limit: 2, offset: 2 })).toEqual([a]);
    expect(await notes.list({ limit: 2, offset: 3 })).toEqual([]);
  });

  it('breaks a created_at tie by id, descending', async () => {
    const first = await notes.create({ title: 'x', body: '' });
    const second = await notes.create({ title: 'y', body: '' });
    await target.db.execute('UPDATE notes SET created_at = $1', [first.createdAt]);

    const ids = (await notes.list({ limit: 10, offset: 0 })).map((note) => note.id);
    expect(ids).toEqual([first.id, second.id].sort().reverse());
  });

  it('updates the given fields and updatedAt, keeping createdAt', async () => {
    const note = await notes.create({ title: 'Draft', body: 'Body' });
    await sleep(5);

    const retitled = await notes.update(note.id, { title: 'Final' });
    expect(retitled).toMatchObject({ id: note.id, title: 'Final', body: 'Body' });
    expect(retitled?.createdAt).toBe(note.createdAt);
    expect(retitled?.updatedAt).toMatch(ISO_WITH_MS);
    expect(Date.parse(retitled?.updatedAt ?? '')).toBeGreaterThan(Date.parse(note.updatedAt));

    const rewritten = await notes.update(note.id, { body: 'New body' });
    expect(rewritten).toMatchObject({ title: 'Final', body: 'New body' });
    expect(await notes.get(note.id)).toEqual(rewritten);
  });

  it('removes a note once', async () => {
    const note = await notes.create({ title: 'Gone', body: 'soon' });

    expect(await notes.remove(note.id)).toBe(true);
    expect(await notes.get(note.id)).toBeUndefined();
    expect(await notes.remove(note.id)).toBe(false);
  });

  it('returns undefined or false for an unknown id', async () => {
    const unknown = crypto.randomUUID();

    expect(await notes.get(unknown)).toBeUndefined();
    expect(await notes.update(unknown, { title: 'nothing' })).toBeUndefined();
    expect(await notes.remove(unknown)).toBe(false);
  });

  it('refuses a negative limit or offset', async () => {
    await expect(notes.list({ limit: -1, offset: 0 })).rejects.toThrow(RangeError);
    await expect(notes.list({ limit: 1, offset: -1 })).rejects.toThrow(RangeError);
  });

  it("keeps each owner's notes to that owner: another owner can neither see nor change them", async () => {
    const mine = await notes.create({ title: 'Mine', body: 'private' });
    const theirs = createNoteStore(target.db).forOwner('owner-b');

    expect(await theirs.get(mine.id)).toBeUndefined();
    expect(await theirs.list({ limit: 10, offset: 0 })).toEqual([]);
    expect(await theirs.update(mine.id, { title: 'Taken' })).toBeUndefined();
    expect(await theirs.remove(mine.id)).toBe(false);
    expect(await notes.get(mine.id)).toMatchObject({ title: 'Mine', body: 'private' });
  });
});
