import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { ServerUnderTest } from './global-setup.js';
import { freePort } from './ports.js';
import { bearer, embedded, sendJson, servers, signIn, signUp, type Session } from './support.js';

const postgres = servers.find((server) => server.name === 'postgres')!;
const postgresB = servers.find((server) => server.name === 'postgres-b')!;

function cli(server: ServerUnderTest | { env: Record<string, string> }, args: string[]) {
  return spawnSync('npx', ['gatehouse', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...server.env },
  });
}

interface Entry {
  seq: number;
  action: string;
  actor: { kind: string; id?: string };
  outcome: string;
  reason?: string;
  requestId: string;
  resource: string;
  details?: Record<string, unknown>;
}

/** An admin session on a deployment: a fresh account, promoted with the CLI, signed in again. */
async function admin(server: ServerUnderTest): Promise<Session> {
  const user = await signUp(server.url);
  expect(cli(server, ['users', 'promote', user.email]).status).toBe(0);
  return signIn(server.url, user.email, user.password);
}

async function entriesOf(server: ServerUnderTest, as: Session, query: string): Promise<Entry[]> {
  const response = await fetch(`${server.url}/api/audit?${query}`, { headers: bearer(as) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: Entry[] }).entries;
}

describe.each([embedded, postgres])('the audit log of the reference API ($name)', (server) => {
  it('writes exactly one entry per request of every authenticated route', async () => {
    const user = await signUp(server.url);
    const auth = bearer(user);
    const ids: string[] = [];
    const send = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${server.url}${path}`, {
        ...init,
        headers: { ...auth, 'content-type': 'application/json', ...(init.headers ?? {}) },
      });
      ids.push(response.headers.get('x-request-id') as string);
      return response;
    };
    await send('/api/me');
    const created = await send('/api/notes', { method: 'POST', body: '{"title":"a","body":"b"}' });
    const { id } = (await created.json()) as { id: string };
    await send('/api/notes');
    await send(`/api/notes/${id}`);
    await send(`/api/notes/${id}`, { method: 'PATCH', body: '{"title":"c"}' });
    await send(`/api/notes/${id}`, { method: 'DELETE' });
    await send('/api/notes', { method: 'POST', body: '{"title":""}' });
    await send('/api/admin/users');

    const reader = await admin(server);
    const entries = await entriesOf(server, reader, `actor=${user.userId}&limit=1000`);
    for (const requestId of ids) {
      expect(
        entries.filter((entry) => entry.requestId === requestId),
        requestId,
      ).toHaveLength(1);
    }
    expect(entries.map((entry) => [entry.action, entry.outcome])).toEqual(
      expect.arrayContaining([
        ['account.read', 'success'],
        ['note.create', 'success'],
        ['note.list', 'success'],
        ['note.read', 'success'],
        ['note.update', 'success'],
        ['note.delete', 'success'],
        ['note.create', 'failure'],
        ['admin.users.list', 'denied'],
      ]),
    );
    const denied = entries.find((entry) => entry.action === 'admin.users.list');
    expect(denied).toMatchObject({
      reason: 'forbidden',
      actor: { kind: 'user', id: user.userId },
      resource: 'GET /api/admin/users',
    });
  });

  it('records security events on their request, and never a password, token or body', async () => {
    const user = await signUp(server.url, 'a very private passphrase');
    const failed = await sendJson(server.url, '/api/auth/login', 'POST', {
      email: user.email,
      password: 'the wrong passphrase',
    });
    const requestId = failed.headers.get('x-request-id');

    const reader = await admin(server);
    const [entry] = (await entriesOf(server, reader, 'action=session.login&limit=1000')).filter(
      (e) => e.requestId === requestId,
    );
    expect(entry).toMatchObject({
      outcome: 'denied',
      details: { events: 'authn_login_fail', eventReason: 'password' },
    });
    const all = JSON.stringify(await entriesOf(server, reader, 'limit=1000'));
    expect(all).not.toContain('a very private passphrase');
    expect(all).not.toContain('the wrong passphrase');
    expect(all).not.toContain(user.accessToken);
  });

  it('records reads of the log itself, and refuses them to non-admins', async () => {
    const reader = await admin(server);
    const first = await fetch(`${server.url}/api/audit?limit=1`, { headers: bearer(reader) });
    const readId = first.headers.get('x-request-id');
    const reads = await entriesOf(server, reader, 'action=audit.read&limit=1000');
    expect(reads.some((entry) => entry.requestId === readId)).toBe(true);

    const user = await signUp(server.url);
    expect((await fetch(`${server.url}/api/audit`, { headers: bearer(user) })).status).toBe(403);
  });

  it('serves the latest signed checkpoint publicly, and verifies end to end', async () => {
    const reader = await admin(server);
    const made = await fetch(`${server.url}/api/audit/checkpoint`, {
      method: 'POST',
      headers: bearer(reader),
    });
    expect(made.status).toBe(201);
    const published = await fetch(`${server.url}/api/audit/checkpoint`);
    expect(published.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const note = await published.text();
    expect(note.split('\n')[0]).toBe(
      `${new URL(server.env['GATEHOUSE_PUBLIC_URL'] as string).host}/audit`,
    );
    expect(note).toMatch(/\n\n— \S+ \S+\n$/);

    const verified = cli(server, ['audit', 'verify']);
    expect(verified.stdout).toMatch(/^ok: \d+ entries/);
    expect(verified.status).toBe(0);
  });
});

describe('the audit log shared by two instances on PostgreSQL', () => {
  it('takes entries from both in one gapless sequence', async () => {
    const user = await signUp(postgres.url);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${i % 2 ? postgresB.url : postgres.url}/api/me`, { headers: bearer(user) }),
      ),
    );
    const reader = await admin(postgres);
    const seqs = (await entriesOf(postgres, reader, 'limit=1000')).map((entry) => entry.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] ?? 0) + i));
    expect(cli(postgres, ['audit', 'verify']).status).toBe(0);
  });
});

describe('crash safety', () => {
  const serverJs = fileURLToPath(new URL('../../server.js', import.meta.url));

  async function start(env: Record<string, string>, logFile: string) {
    const child = spawn(process.execPath, [serverJs], {
      env: { ...process.env, ...env },
      stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${env['GATEHOUSE_PUBLIC_URL']}/api/health`)).ok) return child;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the server did not start');
  }

  it('keeps every acknowledged durable entry through SIGKILL under load, and still verifies', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
    const port = await freePort();
    const env = {
      ...embedded.env,
      GATEHOUSE_DATA_DIR: dataDir,
      PORT: String(port),
      GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    };
    const child = await start(env, join(dataDir, 'server.log'));

    // Failed logins: each answer waits for its durable audit entry.
    const acknowledged: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const response = await sendJson(env.GATEHOUSE_PUBLIC_URL, '/api/auth/login', 'POST', {
            email: `crash-${crypto.randomUUID()}@example.test`,
            password: 'not the password',
          });
          if (response.status === 401) acknowledged.push(response.headers.get('x-request-id')!);
        } catch {
          return;
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    expect(acknowledged.length).toBeGreaterThan(20);

    const restarted = await start(env, join(dataDir, 'server.log'));
    try {
      const verified = cli({ env }, ['audit', 'verify']);
      expect(verified.stdout).toMatch(/^ok: /);
      expect(verified.status).toBe(0);

      const logged = new Set<string>();
      const dir = join(dataDir, 'audit');
      for (const name of readdirSync(dir)
        .filter((n) => n.startsWith('segment-'))
        .sort()) {
        for (const line of readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean)) {
          logged.add((JSON.parse(line) as Entry).requestId);
        }
      }
      expect(acknowledged.filter((id) => !logged.has(id))).toEqual([]);
    } finally {
      restarted.kill('SIGTERM');
    }
  });
});
