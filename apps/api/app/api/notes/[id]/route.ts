import { defineRoutes, route } from 'gatehouse/pipeline';
import { nextHandlers } from 'gatehouse/next';

import { notesOf } from '@/lib/db';
import { getGatehouse } from '@/lib/gatehouse';
import { NoteParams, NotePatch } from '@/lib/schemas/notes';

const NOT_FOUND = { status: 404, detail: 'No note has this id.' } as const;

const note = defineRoutes('/api/notes/[id]', {
  GET: route({
    access: 'user',
    rateLimit: 'api',
    audit: 'note.read',
    params: NoteParams,
    handler: async ({ params, principal, ctx }) => {
      const notes = await notesOf(principal.userId);
      const found = await notes.get(params.id);
      return found ? Response.json(found) : ctx.problem('notFound', NOT_FOUND);
    },
  }),

  PATCH: route({
    access: 'user',
    rateLimit: 'api-write',
    audit: 'note.update',
    params: NoteParams,
    body: NotePatch,
    handler: async ({ params, body, principal, ctx }) => {
      const notes = await notesOf(principal.userId);
      const updated = await notes.update(params.id, body);
      return updated ? Response.json(updated) : ctx.problem('notFound', NOT_FOUND);
    },
  }),

  DELETE: route({
    access: 'user',
    rateLimit: 'api-write',
    audit: 'note.delete',
    params: NoteParams,
    handler: async ({ params, principal, ctx }) => {
      const notes = await notesOf(principal.userId);
      const removed = await notes.remove(params.id);
      return removed ? new Response(null, { status: 204 }) : ctx.problem('notFound', NOT_FOUND);
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, note);
