import { isoTimestamp, isRowCount, type SqlClient } from 'gatehouse/sql';

/** A note as the API returns it; timestamps are ISO 8601 UTC strings with milliseconds. */
export interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

/** The notes of one owner, on either dialect of the app database. Other owners' notes do not exist here. */
export interface NoteStore {
  /** Returns one page of notes, newest first (created_at desc, then id desc). */
  list(page: { limit: number; offset: number }): Promise<Note[]>;
  /** Returns the note with this id, or undefined when there is none. */
  get(id: string): Promise<Note | undefined>;
  /** Stores a new note under a random UUID and returns it. */
  create(input: { title: string; body: string }): Promise<Note>;
  /** Changes the given fields and updatedAt; returns the note, or undefined when there is none. */
  update(
    id: string,
    patch: { title?: string | undefined; body?: string | undefined },
  ): Promise<Note | undefined>;
  /** Deletes the note; returns whether there was one. */
  remove(id: string): Promise<boolean>;
}

interface NoteRow extends Record<string, unknown> {
  id: string;
  title: string;
  body: string;
  created_at: unknown;
  updated_at: unknown;
}

const COLUMNS = 'id, title, body, created_at, updated_at';

/** Notes by owner: every query of a `NoteStore` is scoped to the owner it was made for. */
export interface NoteStores {
  forOwner(ownerId: string): NoteStore;
}

/** Creates the notes stores over an app database that appMigrations have been applied to. */
export function createNoteStore(db: SqlClient): NoteStores {
  return { forOwner: (ownerId) => ownerStore(db, ownerId) };
}

function ownerStore(db: SqlClient, owner: string): NoteStore {
  const get = async (id: string): Promise<Note | undefined> => {
    const [row] = await db.query<NoteRow>(
      `SELECT ${COLUMNS} FROM notes WHERE id = $1 AND owner_id = $2`,
      [id, owner],
    );
    return row === undefined ? undefined : toNote(row);
  };

  return {
    async list({ limit, offset }) {
      // SQLite reads a negative LIMIT as "no limit"; refuse it rather than return every note.
      if (!isRowCount(limit) || !isRowCount(offset)) {
        throw new RangeError('limit and offset must be non-negative integers');
      }
      const rows = await db.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes WHERE owner_id = $3
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2`,
        [limit, offset, owner],
      );
      return rows.map(toNote);
    },

    get,

    async create({ title, body }) {
      // The timestamps are made here, not by the database, so both dialects store the same
      // millisecond-precision instant the caller gets back.
      const now = new Date().toISOString();
      const note: Note = { id: crypto.randomUUID(), title, body, createdAt: now, updatedAt: now };
      await db.execute(`INSERT INTO notes (${COLUMNS}, owner_id) VALUES ($1, $2, $3, $4, $4, $5)`, [
        note.id,
        title,
        body,
        now,
        owner,
      ]);
      return note;
    },

    async update(id, { title, body }) {
      // Nothing to change, so nothing to write: updatedAt keeps meaning "last changed".
      if (title === undefined && body === undefined) return get(id);

      // One statement, so two patches of different fields cannot overwrite each other's work.
      const [row] = await db.query<NoteRow>(
        `UPDATE notes SET title = COALESCE($2, title), body = COALESCE($3, body), updated_at = $4
         WHERE id = $1 AND owner_id = $5 RETURNING ${COLUMNS}`,
        [id, title ?? null, body ?? null, new Date().toISOString(), owner],
      );
      return row === undefined ? undefined : toNote(row);
    },

    async remove(id) {
      const { rowCount } = await db.execute('DELETE FROM notes WHERE id = $1 AND owner_id = $2', [
        id,
        owner,
      ]);
      return rowCount > 0;
    },
  };
}

function toNote(row: NoteRow): Note {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
  };
}
