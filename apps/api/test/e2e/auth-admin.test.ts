import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  bearer,
  databases,
  problemBody,
  sendJson,
  signIn,
  signUp,
  type Session,
} from './support.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface ListedUser {
  id: string;
  email: string;
  role: string;
  createdAt: string;
  disabled: boolean;
}

describe.each(databases)('admin users list on $name', (server) => {
  const listUsers = (session: Session, offset = 0) =>
    fetch(`${server.url}/api/admin/users?limit=100&offset=${offset}`, {
      headers: bearer(session),
    });

  /** Pages through the list (oldest first) until the account shows up or the list ends. */
  async function findListed(admin: Session, userId: string): Promise<ListedUser | undefined> {
    for (let offset = 0; ; offset += 100) {
      const response = await listUsers(admin, offset);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const { users } = (await response.json()) as { users: ListedUser[] };
      const found = users.find((user) => user.id === userId);
      if (found || users.length < 100) return found;
    }
  }

  it('refuses a user token with a 403 problem', async () => {
    const user = await signUp(server.url);
    const response = await listUsers(user);

    expect(response.status).toBe(403);
    expect(await problemBody(response)).toMatchObject({
      type: 'urn:gatehouse:problem:forbidden',
      status: 403,
    });
  });

  it('serves a token issued after `gatehouse users promote`, but not one issued before', async () => {
    const before = await signUp(server.url);

    const promoted = spawnSync('npx', ['gatehouse', 'users', 'promote', before.email], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...server.env },
    });
    expect(promoted.status, promoted.stderr).toBe(0);
    expect(promoted.stdout).toContain(`${before.email} is now an admin.`);

    const after = await signIn(server.url, before.email, before.password);
    expect(await findListed(after, before.userId)).toMatchObject({
      id: before.userId,
      email: before.email,
      role: 'admin',
      disabled: false,
    });

    // The role travels in the access token: the one issued before the promotion keeps `user`.
    const stale = await listUsers(before);
    expect(stale.status).toBe(403);
    expect((await problemBody(stale)).type).toBe('urn:gatehouse:problem:forbidden');
  });
});

describe.each(databases)('note ownership on $name', (server) => {
  it("answers another user's note with 404 for read, update and delete, and leaves it unchanged", async () => {
    const owner = await signUp(server.url);
    const intruder = await signUp(server.url);
    const created = await sendJson(
      server.url,
      '/api/notes',
      'POST',
      { title: 'Private', body: 'only mine' },
      bearer(owner),
    );
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: string };
    const path = `${server.url}/api/notes/${note.id}`;

    const read = await fetch(path, { headers: bearer(intruder) });
    const patched = await sendJson(
      server.url,
      `/api/notes/${note.id}`,
      'PATCH',
      { title: 'Taken over' },
      bearer(intruder),
    );
    const deleted = await fetch(path, { method: 'DELETE', headers: bearer(intruder) });
    for (const response of [read, patched, deleted]) {
      expect(response.status).toBe(404);
      expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:not-found');
    }

    const listed = (await (
      await fetch(`${server.url}/api/notes?limit=100`, { headers: bearer(intruder) })
    ).json()) as { notes: { id: string }[] };
    expect(listed.notes.map((n) => n.id)).not.toContain(note.id);

    const unchanged = await fetch(path, { headers: bearer(owner) });
    expect(unchanged.status).toBe(200);
    expect(await unchanged.json()).toEqual(note);
  });
});
