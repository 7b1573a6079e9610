import { z } from 'zod';

/**
 * The notes schemas, shared by the API routes and the browser form: one definition, so the form
 * refuses exactly what the API refuses, with the same messages.
 */

export const NOTE_TITLE_MAX = 200;
export const NOTE_BODY_MAX = 10_000;

const title = z
  .string()
  .trim()
  .min(1, 'Give the note a title.')
  .max(NOTE_TITLE_MAX, `Keep the title to ${NOTE_TITLE_MAX} characters or fewer.`);

const body = z
  .string()
  .max(NOTE_BODY_MAX, `Keep the note to ${NOTE_BODY_MAX} characters or fewer.`);

/** `POST /api/notes`: unknown keys are refused, so clients cannot set ids or timestamps. */
export const NoteInput = z.strictObject({ title, body });
export type NoteInput = z.infer<typeof NoteInput>;

/** `PATCH /api/notes/{id}`: any subset of the fields, but at least one. */
export const NotePatch = z
  .strictObject({ title: title.optional(), body: body.optional() })
  .refine((patch) => patch.title !== undefined || patch.body !== undefined, {
    message: 'Change at least one field.',
  });

export const NoteParams = z.strictObject({ id: z.uuid('Note ids are UUIDs.') });

export const NoteListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});
