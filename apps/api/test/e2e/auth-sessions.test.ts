import { describe, expect, it } from 'vitest';

import {
  bearer,
  databases,
  logLines,
  problemBody,
  refreshCookieOf,
  sendJson,
  servers,
  signIn,
  signUp,
  type Session,
  REFRESH_COOKIE,
  refreshSetCookie,
} from './support.js';

type ServerUnderTest = (typeof servers)[number];

/** GATEHOUSE_REFRESH_GRACE as the global setup starts the servers, in milliseconds. */
const GRACE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The origin the server accepts cookie requests from: its configured public URL. */
function originOf(server: ServerUnderTest): string {
  return new URL(server.env['GATEHOUSE_PUBLIC_URL']!).origin;
}

function post(
  server: ServerUnderTest,
  path: '/api/auth/refresh' | '/api/auth/logout',
  cookie: string,
  headers: Record<string, string> = { origin: originOf(server) },
) {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie, ...headers } });
}

const refresh = (server: ServerUnderTest, cookie: string, headers?: Record<string, string>) =>
  post(server, '/api/auth/refresh', cookie, headers);
const logout = (server: ServerUnderTest, cookie: string, headers?: Record<string, string>) =>
  post(server, '/api/auth/logout', cookie, headers);

/** Checks that a response removes the refresh cookie, with the attributes it was set with. */
function expectClearedCookie(response: Response) {
  const cookie = refreshSetCookie(response);
  expect({ ...cookie, attributes: Object.fromEntries(cookie.attributes) }).toEqual({
    name: REFRESH_COOKIE,
    value: '',
    attributes: { 'max-age': '0', path: '/', httponly: '', secure: '', samesite: 'Strict' },
  });
  expect(response.headers.get('cache-control')).toBe('no-store');
}

/** Checks a successful refresh and returns the successor cookie (`name=value`). */
async function expectGrant(response: Response, server: ServerUnderTest): Promise<string> {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as { access_token: string };
  expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 });
  const me = await fetch(`${server.url}/api/me`, {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  expect(me.status).toBe(200);
  const cookie = refreshCookieOf(response);
  expect(cookie).toMatch(new RegExp(`^${REFRESH_COOKIE}=[A-Za-z0-9_-]{43}$`));
  return cookie!;
}

/** The security events the server has logged for one user. */
function securityEvents(server: ServerUnderTest, userId: string) {
  return logLines(server.logFile).filter(
    (line) => line['userId'] === userId && typeof line['security'] === 'string',
  );
}

async function waitForLogLine(
  server: ServerUnderTest,
  match: (line: Record<string, unknown>) => boolean,
) {
  const deadline = Date.now() + 5_000;
  let found = logLines(server.logFile).find(match);
  while (found === undefined && Date.now() < deadline) {
    await sleep(50);
    found = logLines(server.logFile).find(match);
  }
  return found;
}

describe.each(databases)('refresh on $name', (server) => {
  it('rotates the refresh cookie: 200, a new access token and a different cookie', async () => {
    const session = await signUp(server.url);
    const successor = await expectGrant(await refresh(server, session.cookie), server);
    expect(successor).not.toBe(session.cookie);
  });

  it('answers the rotated cookie within the grace window with the same successor', async () => {
    const session = await signUp(server.url);
    const successor = await expectGrant(await refresh(server, session.cookie), server);

    const again = await refresh(server, session.cookie);
    expect(await expectGrant(again, server)).toBe(successor);
  });

  it('treats the rotated cookie after the grace window as reuse: 401, cookie cleared, family revoked, warn logged', async () => {
    const session = await signUp(server.url);
    const successor = await expectGrant(await refresh(server, session.cookie), server);
    await sleep(GRACE_MS + 500);

    const replayed = await refresh(server, session.cookie);
    expect(replayed.status).toBe(401);
    expect((await problemBody(replayed)).type).toBe('urn:gatehouse:problem:unauthorized');
    expectClearedCookie(replayed);

    const afterRevocation = await refresh(server, successor);
    expect(afterRevocation.status).toBe(401);
    expectClearedCookie(afterRevocation);

    const warning = await waitForLogLine(
      server,
      (line) => line['security'] === 'authn_token_reuse' && line['userId'] === session.userId,
    );
    // pino's warn level.
    expect(warning).toMatchObject({ level: 40, security: 'authn_token_reuse' });
  });
});

describe.each(databases)('cross-site requests to refresh and logout on $name', (server) => {
  const own = new URL(originOf(server));
  const otherPort = `${own.protocol}//${own.hostname}:${Number(own.port || 80) + 1}`;
  const otherScheme = `${own.protocol === 'http:' ? 'https:' : 'http:'}//${own.host}`;

  it.each([
    { name: 'Sec-Fetch-Site: cross-site', headers: { 'sec-fetch-site': 'cross-site' } },
    {
      name: 'Sec-Fetch-Site: cross-site even with the right Origin',
      headers: { 'sec-fetch-site': 'cross-site', origin: own.origin },
    },
    { name: 'a foreign Origin', headers: { origin: 'https://evil.test' } },
    { name: 'Origin: null', headers: { origin: 'null' } },
    { name: 'its own origin on another port', headers: { origin: otherPort } },
    { name: 'its own origin with the other scheme', headers: { origin: otherScheme } },
    { name: 'neither Origin nor Sec-Fetch-Site', headers: {} },
  ])('refuses $name with 403 and rotates or revokes nothing', async ({ headers }) => {
    const session = await signUp(server.url);

    for (const send of [refresh, logout]) {
      const response = await send(server, session.cookie, headers);
      expect(response.status).toBe(403);
      expect(await problemBody(response)).toMatchObject({
        type: 'urn:gatehouse:problem:forbidden',
        status: 403,
      });
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    // Neither a rotation nor a revocation was recorded; a rotation within the grace window would
    // otherwise go unnoticed by the refresh below.
    expect(
      securityEvents(server, session.userId).filter((line) =>
        ['authn_token_refreshed', 'authn_token_revoked', 'authn_token_reuse'].includes(
          line['security'] as string,
        ),
      ),
    ).toEqual([]);

    const successor = await expectGrant(await refresh(server, session.cookie), server);
    expect(successor).not.toBe(session.cookie);
    // The log does record rotations, so their absence above means something.
    const rotation = await waitForLogLine(
      server,
      (line) => line['security'] === 'authn_token_refreshed' && line['userId'] === session.userId,
    );
    expect(rotation).toBeDefined();
  });
});

describe.each(databases)('logout on $name', (server) => {
  it('answers 204, clears the cookie with the same attributes, and the cookie no longer refreshes', async () => {
    const session = await signUp(server.url);
    const response = await logout(server, session.cookie);

    expect(response.status).toBe(204);
    expectClearedCookie(response);

    const after = await refresh(server, session.cookie);
    expect(after.status).toBe(401);
    expectClearedCookie(after);
  });
});

describe.each(databases)('password change on $name', (server) => {
  const change = (session: Session, currentPassword: string, newPassword: string) =>
    sendJson(
      server.url,
      '/api/auth/password',
      'POST',
      { currentPassword, newPassword },
      bearer(session, { cookie: session.cookie }),
    );
  const login = (email: string, password: string) =>
    sendJson(server.url, '/api/auth/login', 'POST', { email, password });

  it('refuses a wrong current password with 400 on body.currentPassword', async () => {
    const session = await signUp(server.url);
    const response = await change(session, 'not my password at all', 'a brand new passphrase');

    expect(response.status).toBe(400);
    expect((await problemBody(response)).errors?.[0]?.path).toBe('body.currentPassword');
    expect((await login(session.email, session.password)).status).toBe(200);
    expect((await refresh(server, session.cookie)).status).toBe(200);
  });

  it('answers 204, signs out the other sessions, keeps the one making the change, and swaps the password', async () => {
    const changer = await signUp(server.url);
    const other = await signIn(server.url, changer.email, changer.password);
    const newPassword = 'a brand new passphrase';

    const response = await change(changer, changer.password, newPassword);
    expect(response.status).toBe(204);

    const otherRefresh = await refresh(server, other.cookie);
    expect(otherRefresh.status).toBe(401);
    expectClearedCookie(otherRefresh);
    await expectGrant(await refresh(server, changer.cookie), server);

    expect((await login(changer.email, changer.password)).status).toBe(401);
    expect((await login(changer.email, newPassword)).status).toBe(200);
  });
});

describe('two instances of one deployment (postgres and postgres-b)', () => {
  const a = servers.find((server) => server.name === 'postgres')!;
  const b = servers.find((server) => server.name === 'postgres-b')!;

  // Access tokens carry the deployment's public URL as `iss` and `aud`, so instances of one
  // deployment accept each other's tokens only when they are configured with the same
  // GATEHOUSE_PUBLIC_URL, as docs/configuration.md says they are.
  it.skipIf(a.env['GATEHOUSE_PUBLIC_URL'] !== b.env['GATEHOUSE_PUBLIC_URL'])(
    'accepts an access token issued by either instance on the other',
    async () => {
      const fromA = await signUp(a.url);
      const fromB = await signUp(b.url);
      expect((await fetch(`${b.url}/api/me`, { headers: bearer(fromA) })).status).toBe(200);
      expect((await fetch(`${a.url}/api/me`, { headers: bearer(fromB) })).status).toBe(200);
    },
  );

  it('refreshes on one instance a session started on the other', async () => {
    const session = await signUp(a.url);
    const successor = await expectGrant(await refresh(b, session.cookie), b);
    expect(successor).not.toBe(session.cookie);
    await expectGrant(await refresh(a, successor), a);
  });

  it('answers 10 concurrent refreshes of one cookie across both instances with one successor', async () => {
    const session = await signUp(a.url);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => refresh(i % 2 === 0 ? a : b, session.cookie)),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const successors = new Set(responses.map(refreshCookieOf));
    expect(successors.size).toBe(1);
    const [successor] = successors;
    expect(successor).toMatch(new RegExp(`^${REFRESH_COOKIE}=[A-Za-z0-9_-]{43}$`));
    expect(successor).not.toBe(session.cookie);
  });

  it('ends on both instances a session logged out on one', async () => {
    const session = await signUp(a.url);
    expect((await logout(a, session.cookie)).status).toBe(204);

    const after = await refresh(b, session.cookie);
    expect(after.status).toBe(401);
    expectClearedCookie(after);
  });
});
