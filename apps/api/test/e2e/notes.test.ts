import { beforeAll, describe, expect, it } from 'vitest';

import { bearer, databases, problemBody, sendJson, signUp, type Session } from './support.js';

const UNKNOWN_ID = '5b0a8c8e-7d0e-4b7a-9d1e-1f3a6c2b4d5e';

describe.each(databases)('notes API on $name', ({ url }) => {
  let session: Session;
  let auth: Record<string, string>;

  beforeAll(async () => {
    session = await signUp(url);
    auth = bearer(session);
  });

  it('refuses requests without an access token with 401 and a Bearer challenge', async () => {
    const response = await fetch(`${url}/api/notes`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:unauthorized');
  });

  const sendAuthed = (base: string, path: string, method: string, body: unknown) =>
    sendJson(base, path, method, body, auth);

  it('creates, reads, lists, updates and deletes a note', async () => {
    const created = await sendAuthed(url, '/api/notes', 'POST', {
      title: ' Groceries ',
      body: 'eggs',
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: string; title: string; createdAt: string };
    expect(note.title).toBe('Groceries');
    expect(created.headers.get('location')).toBe(`/api/notes/${note.id}`);

    const read = await fetch(`${url}/api/notes/${note.id}`, { headers: auth });
    expect(await read.json()).toMatchObject({ id: note.id, title: 'Groceries', body: 'eggs' });

    const listed = (await (
      await fetch(`${url}/api/notes?limit=100`, { headers: auth })
    ).json()) as {
      notes: { id: string }[];
    };
    expect(listed.notes.map((n) => n.id)).toContain(note.id);

    const patched = await sendAuthed(url, `/api/notes/${note.id}`, 'PATCH', { body: 'eggs, milk' });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ title: 'Groceries', body: 'eggs, milk' });

    expect(
      (await fetch(`${url}/api/notes/${note.id}`, { method: 'DELETE', headers: auth })).status,
    ).toBe(204);
    expect((await fetch(`${url}/api/notes/${note.id}`, { headers: auth })).status).toBe(404);
  });

  it('answers an unknown note id with a 404 problem, for read, update and delete', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const response =
        method === 'PATCH'
          ? await sendAuthed(url, `/api/notes/${UNKNOWN_ID}`, method, { title: 'x' })
          : await fetch(`${url}/api/notes/${UNKNOWN_ID}`, { method, headers: auth });
      expect(response.status).toBe(404);
      expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:not-found');
    }
  });

  it('refuses a malformed id with 400 and the path of the parameter', async () => {
    const response = await fetch(`${url}/api/notes/1%20OR%201=1`, { headers: auth });
    const body = await problemBody(response);

    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      { path: 'params.id', code: 'invalid_format', message: 'Note ids are UUIDs.' },
    ]);
  });

  it('refuses mass assignment of server-owned fields', async () => {
    const response = await sendAuthed(url, '/api/notes', 'POST', {
      title: 't',
      body: 'b',
      id: UNKNOWN_ID,
      createdAt: '1970-01-01T00:00:00.000Z',
    });
    const body = await problemBody(response);

    expect(response.status).toBe(400);
    expect(body.errors?.map((issue) => issue.path)).toEqual(['body.id', 'body.createdAt']);
    expect((await fetch(`${url}/api/notes/${UNKNOWN_ID}`, { headers: auth })).status).toBe(404);
  });

  it('returns the schema messages the form shows', async () => {
    const response = await sendAuthed(url, '/api/notes', 'POST', { title: '   ', body: 'x' });
    expect((await problemBody(response)).errors).toEqual([
      { path: 'body.title', code: 'too_small', message: 'Give the note a title.' },
    ]);
  });

  it('refuses an empty patch', async () => {
    const created = (await (
      await sendAuthed(url, '/api/notes', 'POST', { title: 't', body: '' })
    ).json()) as {
      id: string;
    };
    const response = await sendAuthed(url, `/api/notes/${created.id}`, 'PATCH', {});
    expect((await problemBody(response)).errors?.[0]).toMatchObject({
      code: 'custom',
      path: 'body',
    });
  });

  it.each([
    ['malformed JSON', '{"title":', 'malformed_json'],
    ['duplicate keys', '{"title":"a","title":"b","body":""}', 'duplicate_key'],
    ['a __proto__ key', '{"__proto__":{"isAdmin":true},"title":"a","body":""}', 'forbidden_key'],
    ['deep nesting', `{"title":${'['.repeat(100)}${']'.repeat(100)},"body":""}`, 'too_deep'],
  ])('refuses %s with 400', async (_name, text, code) => {
    const response = await sendAuthed(url, '/api/notes', 'POST', text);
    expect(response.status).toBe(400);
    expect((await problemBody(response)).errors?.[0]?.code).toBe(code);
  });

  it('refuses a wrong content type with 415', async () => {
    const response = await fetch(`${url}/api/notes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '{"title":"t","body":"b"}',
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('accept-post')).toBe('application/json');
    expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:unsupported-media-type');
  });

  it('refuses a body over 100 kB with 413, whether declared or streamed', async () => {
    const big = JSON.stringify({ title: 't', body: 'x'.repeat(120_000) });
    const declared = await sendAuthed(url, '/api/notes', 'POST', big);
    expect(declared.status).toBe(413);
    expect((await problemBody(declared)).type).toBe('urn:gatehouse:problem:payload-too-large');

    const encoder = new TextEncoder();
    const chunks = [
      encoder.encode('{"title":"t","body":"'),
      ...Array(30).fill(encoder.encode('y'.repeat(5_000))),
    ];
    const streamed = await fetch(`${url}/api/notes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('validates the list query and refuses unknown parameters', async () => {
    const response = await fetch(`${url}/api/notes?limit=1000&sort=id`, { headers: auth });
    expect((await problemBody(response)).errors?.map((issue) => issue.path)).toEqual([
      'query.limit',
      'query.sort',
    ]);
  });
});
