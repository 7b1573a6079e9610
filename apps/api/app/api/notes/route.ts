import { defineRoutes, route } from 'gatehouse/pipeline';
import { nextHandlers } from 'gatehouse/next';

import { notesOf } from '@/lib/db';
import { getGatehouse } from '@/lib/gatehouse';
import { notePath } from '@/lib/paths';
import { NoteInput, NoteListQuery } from '@/lib/schemas/notes';

const notes = defineRoutes('/api/notes', {
  GET: route({
    access: 'user',
    rateLimit: 'api',
    audit: 'note.list',
    query: NoteListQuery,
    handler: async ({ query, principal }) => {
      const notes = await notesOf(principal.userId);
      const page = await notes.list(query);
      return Response.json({ notes: page, limit: query.limit, offset: query.offset });
    },
  }),

  POST: route({
    access: 'user',
    rateLimit: 'api-write',
    audit: 'note.create',
    body: NoteInput,
    handler: async ({ body, principal }) => {
      const notes = await notesOf(principal.userId);
      const note = await notes.create(body);
      return Response.json(note, { status: 201, headers: { location: notePath(note.id) } });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, notes);
