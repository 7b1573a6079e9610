import { spawnSync } from 'node:child_process';

import { signRequest } from 'gatehouse/signatures';
import { describe, expect, it } from 'vitest';

import type { ServerUnderTest } from './global-setup.js';
import { databases, embedded, problemBody, sendJson, servers, signUp } from './support.js';

const postgres = servers.find((server) => server.name === 'postgres')!;
const postgresB = servers.find((server) => server.name === 'postgres-b')!;

/** Creates a service key on a deployment with the CLI and returns it, secret included. */
function createKey(server: ServerUnderTest, id = `svc-${crypto.randomUUID().slice(0, 8)}`) {
  const result = spawnSync('npx', ['gatehouse', 'keys', 'hmac', 'create', id], {
    encoding: 'utf8',
    env: { ...process.env, ...server.env },
  });
  expect(result.status).toBe(0);
  const secret = /secret: (\S+)/.exec(result.stdout)?.[1] as string;
  return { id, secret: new Uint8Array(Buffer.from(secret, 'base64url')) };
}

function cli(server: ServerUnderTest, args: string[]) {
  return spawnSync('npx', ['gatehouse', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...server.env },
  });
}

const disablePath = (id: string) => `/api/internal/users/${id}/disable`;

function disableRequest(base: string, id: string, headers: Record<string, string> = {}) {
  return new Request(`${base}${disablePath(id)}`, { method: 'POST', headers });
}

/** Sends a request built for one base URL to another instance, headers and body unchanged. */
async function sendTo(base: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === 'GET' ? undefined : await request.clone().arrayBuffer();
  return fetch(`${base}${url.pathname}${url.search}`, {
    method: request.method,
    headers: request.headers,
    body: body && body.byteLength > 0 ? body : null,
  });
}

/** Polls until a key created by the CLI is accepted (servers read the key directory again). */
async function untilAccepted(send: () => Promise<Response>): Promise<Response> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await send();
    if (response.status !== 401 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe.each(databases)('POST /api/internal/users/{id}/disable ($name)', (server) => {
  it('disables the account and revokes its sessions for a signed call', async () => {
    const key = createKey(server);
    const user = await signUp(server.url);

    const response = await untilAccepted(async () =>
      fetch(await signRequest(disableRequest(server.url, user.userId), key)),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('cache-control')).toBe('no-store');

    // The refresh session is gone and the account cannot sign in again.
    const refresh = await fetch(`${server.url}/api/auth/refresh`, {
      method: 'POST',
      headers: { cookie: user.cookie, origin: server.url },
    });
    expect(refresh.status).toBe(401);
    const login = await sendJson(server.url, '/api/auth/login', 'POST', {
      email: user.email,
      password: user.password,
    });
    expect(login.status).toBe(401);
  });

  it('answers 404 for an account that does not exist, after checking the signature', async () => {
    const key = createKey(server);
    const id = crypto.randomUUID();
    const response = await untilAccepted(async () =>
      fetch(await signRequest(disableRequest(server.url, id), key)),
    );
    expect(response.status).toBe(404);
  });
});

describe('signed calls on the reference API', () => {
  it('refuses an unsigned call, even from an origin on the CORS allowlist', async () => {
    const user = await signUp(embedded.url);
    const response = await fetch(`${embedded.url}${disablePath(user.userId)}`, {
      method: 'POST',
      headers: { origin: 'https://app.partner.test' },
    });
    expect(response.status).toBe(401);
    expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:unauthorized');
    // The account still works.
    const login = await sendJson(embedded.url, '/api/auth/login', 'POST', {
      email: user.email,
      password: user.password,
    });
    expect(login.status).toBe(200);
  });

  it('refuses a replay on a second instance of the same deployment', async () => {
    const key = createKey(postgres);
    const user = await signUp(postgres.url);
    const signed = await signRequest(disableRequest(postgres.url, crypto.randomUUID()), key);

    const first = await untilAccepted(() => sendTo(postgres.url, signed.clone()));
    expect(first.status).toBe(404);
    const replayed = await sendTo(postgresB.url, signed.clone());
    expect(replayed.status).toBe(401);

    // The same key signs a new request that the second instance accepts.
    const fresh = await signRequest(disableRequest(postgres.url, user.userId), key);
    expect((await sendTo(postgresB.url, fresh)).status).toBe(204);
  });

  it('refuses tampered, unknown-key and expired calls', async () => {
    const key = createKey(embedded);
    const target = crypto.randomUUID();
    await untilAccepted(async () =>
      fetch(await signRequest(disableRequest(embedded.url, target), key)),
    );

    const tampered = await signRequest(disableRequest(embedded.url, target), key);
    const otherPath = await sendTo(
      embedded.url,
      new Request(`${embedded.url}${disablePath(crypto.randomUUID())}`, {
        method: 'POST',
        headers: tampered.headers,
      }),
    );
    expect(otherPath.status).toBe(401);

    const stranger = { id: 'not-a-key', secret: new Uint8Array(32).fill(3) };
    expect(
      (await fetch(await signRequest(disableRequest(embedded.url, target), stranger))).status,
    ).toBe(401);

    const old = await signRequest(disableRequest(embedded.url, target), key, {
      now: () => Date.now() - 600_000,
    });
    expect((await fetch(old)).status).toBe(401);
  });

  it('keeps old and new keys valid during a rotation, and refuses the old one once retired', async () => {
    const before = createKey(embedded);
    const after = createKey(embedded);
    const target = crypto.randomUUID();
    for (const key of [before, after]) {
      const response = await untilAccepted(async () =>
        fetch(await signRequest(disableRequest(embedded.url, target), key)),
      );
      expect(response.status).toBe(404);
    }

    expect(cli(embedded, ['keys', 'hmac', 'retire', before.id]).status).toBe(0);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await fetch(await signRequest(disableRequest(embedded.url, target), before)))
        .status;
      if (status === 401) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(401);
    expect(
      (await fetch(await signRequest(disableRequest(embedded.url, target), after))).status,
    ).toBe(404);
  });
});
