import { defineRoutes, route } from 'gatehouse/pipeline';
import { nextHandlers } from 'gatehouse/next';

import { getAppDatabase } from '@/lib/db';
import { getGatehouse } from '@/lib/gatehouse';
import { notePath } from '@/lib/paths';
import { NoteInput, NoteListQuery } from '@/lib/schemas/notes';

const notes = defineRoutes('/api/notes', {
  GET: route({
    access: 'public',
    rateLimit: 'api',
    query: NoteListQuery,
    handler: async ({ query }) => {
      const { notes } = await getAppDatabase();
      const page = await notes.list(query);
      return Response.json({ notes: page, limit: query.limit, offset: query.offset });
    },
  }),

  POST: route({
    access: 'public',
    rateLimit: 'api-write',
    audit: 'note.create',
    body: NoteInput,
    handler: async ({ body }) => {
      const { notes } = await getAppDatabase();
      const note = await notes.create(body);
      return Response.json(note, { status: 201, headers: { location: notePath(note.id) } });
    },
  }),
});

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = nextHandlers(getGatehouse, notes);
