import { Buffer } from 'node:buffer';
import { request } from 'node:http';
import { join } from 'node:path';

import { readOutbox } from 'gatehouse/mail';
import { describe, expect, it } from 'vitest';

import {
  bearer,
  databases,
  problemBody,
  refreshCookieOf,
  sendJson,
  type servers,
  signIn,
  signUp,
  type Session,
  REFRESH_COOKIE,
  refreshSetCookie,
} from './support.js';

type ServerUnderTest = (typeof servers)[number];

const THIRTY_DAYS = 30 * 86_400;

/** The problem body without the member that differs on every response. */
function withoutRequestId(body: { requestId?: string }) {
  const { requestId, ...rest } = body;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  return rest;
}

/** The headers a client sees, without those that differ on every response. */
function stableHeaders(response: Response): Record<string, string> {
  const headers = Object.fromEntries(response.headers);
  delete headers['date'];
  delete headers['x-request-id'];
  // Rate-limit counts move with every request; their presence is compared, not their values.
  for (const name of ['ratelimit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
    if (name in headers) headers[name] = 'present';
  }
  return headers;
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function login(server: ServerUnderTest, email: string, password: string) {
  return sendJson(server.url, '/api/auth/login', 'POST', { email, password });
}

function newAddress(): string {
  return `user-${crypto.randomUUID()}@example.test`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function outboxOf(server: ServerUnderTest): string {
  return join(server.env['GATEHOUSE_DATA_DIR']!, 'outbox');
}

async function mailsTo(server: ServerUnderTest, address: string) {
  return (await readOutbox(outboxOf(server))).filter((message) => message.to === address);
}

/**
 * Waits until `count` mails to the address are in the outbox (reset mails are sent after the
 * answer), then a little longer, so that a surplus mail would be seen too.
 */
async function waitForMails(server: ServerUnderTest, address: string, count: number) {
  const deadline = Date.now() + 10_000;
  while ((await mailsTo(server, address)).length < count && Date.now() < deadline) {
    await sleep(50);
  }
  await sleep(200);
  return mailsTo(server, address);
}

/** The reset link of a mail, checked to start where the deployment says it lives. */
function resetLinkOf(server: ServerUnderTest, text: string): URL {
  const link = /https?:\/\/\S+/.exec(text)?.[0];
  expect(link).toBeDefined();
  expect(link!.startsWith(`${server.env['GATEHOUSE_PUBLIC_URL']}/reset-password?token=`)).toBe(
    true,
  );
  return new URL(link!);
}

/** Posts JSON with a `Host` header of our choosing, which fetch does not allow. */
function postWithHost(
  base: string,
  path: string,
  host: string,
  body: unknown,
): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path,
      method: 'POST',
      headers: {
        host,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function refresh(server: ServerUnderTest, session: Pick<Session, 'cookie'>) {
  return fetch(`${server.url}/api/auth/refresh`, {
    method: 'POST',
    headers: { cookie: session.cookie, origin: server.env['GATEHOUSE_PUBLIC_URL']! },
  });
}

describe.each(databases)('login on $name', (server) => {
  it('answers 200 with a Bearer token for 600 s, no-store, and the refresh cookie', async () => {
    const { email, password } = await signUp(server.url);
    const response = await login(server, email, password);

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
    });

    const me = await fetch(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${body['access_token'] as string}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, role: 'user' });
  });

  it('sets the refresh cookie as __Host-, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain, for 30 days', async () => {
    const { email, password } = await signUp(server.url);
    const response = await login(server, email, password);
    const cookie = refreshSetCookie(response);

    expect(cookie.name).toBe(REFRESH_COOKIE);
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([...cookie.attributes.keys()].sort()).toEqual([
      'httponly',
      'max-age',
      'path',
      'samesite',
      'secure',
    ]);
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(cookie.attributes.has('domain')).toBe(false);
    const maxAge = Number(cookie.attributes.get('max-age'));
    expect(maxAge).toBeLessThanOrEqual(THIRTY_DAYS);
    expect(maxAge).toBeGreaterThanOrEqual(THIRTY_DAYS - 5);
  });

  it('answers an unknown email and a wrong password alike: same status, body and headers', async () => {
    const { email } = await signUp(server.url);
    const unknown = await login(server, newAddress(), 'correct horse battery staple');
    const wrong = await login(server, email, 'not the password at all');

    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(stableHeaders(unknown)).toEqual(stableHeaders(wrong));
    expect(unknown.headers.get('www-authenticate')).toBeNull();
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    expect(unknown.headers.getSetCookie()).toEqual([]);
    const unknownBody = withoutRequestId(await problemBody(unknown));
    expect(unknownBody).toEqual(withoutRequestId(await problemBody(wrong)));
    expect(unknownBody).toMatchObject({ type: 'urn:gatehouse:problem:unauthorized', status: 401 });
  });

  it('takes near-identical time for an unknown email and a wrong password', async () => {
    const { email } = await signUp(server.url);
    const attempt = async (address: string) => {
      const started = performance.now();
      const response = await login(server, address, 'not the password at all');
      await response.arrayBuffer();
      expect(response.status).toBe(401);
      return performance.now() - started;
    };
    // Warm up both paths (the unknown-account path hashes its dummy once, on first use).
    await attempt(newAddress());
    await attempt(email);

    // Argon2id verification dominates both answers: a known account verifies its own hash, an
    // unknown one verifies a dummy hash with the same parameters. Alternating the two spreads any
    // drift of the machine evenly; the medians ignore the odd outlier.
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      unknown.push(await attempt(newAddress()));
      wrong.push(await attempt(email));
    }
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThanOrEqual(0.6);
    expect(ratio).toBeLessThanOrEqual(1.67);
  });
});

describe.each(databases)('registration on $name', (server) => {
  it('answers a taken address exactly like a new one, mails its owner and creates no second account', async () => {
    const email = newAddress();
    const first = await sendJson(server.url, '/api/auth/register', 'POST', {
      email,
      password: 'the first owner password',
    });
    const second = await sendJson(server.url, '/api/auth/register', 'POST', {
      email,
      password: 'an intruder password',
    });

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(stableHeaders(second)).toEqual(stableHeaders(first));
    expect(await second.json()).toEqual(await first.json());

    const mails = await mailsTo(server, email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Someone tried to register with your address');

    expect((await login(server, email, 'an intruder password')).status).toBe(401);
    expect((await login(server, email, 'the first owner password')).status).toBe(200);
  });
});

describe.each(databases)('access tokens on $name', (server) => {
  const me = (headers: Record<string, string> = {}) => fetch(`${server.url}/api/me`, { headers });

  it('answers /api/me without a token with 401 and a Bearer challenge', async () => {
    const response = await me();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await problemBody(response)).toMatchObject({
      type: 'urn:gatehouse:problem:unauthorized',
      status: 401,
    });
  });

  it('answers a garbage, a tampered and an alg:none token with 401 invalid_token and one body', async () => {
    const session = await signUp(server.url);
    const [header = '', payload = '', signature = ''] = session.accessToken.split('.');
    const claims = decodeSegment(payload);
    const tampered = `${header}.${encodeSegment({ ...claims, role: 'admin' })}.${signature}`;
    const unsigned = `${encodeSegment({ ...decodeSegment(header), alg: 'none' })}.${payload}.`;
    const reference = withoutRequestId(await problemBody(await me()));

    for (const token of ['garbage', 'not.a.jwt', tampered, unsigned]) {
      const response = await me({ authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token"',
      );
      expect(withoutRequestId(await problemBody(response))).toEqual(reference);
    }
    // The untouched token still works, so the refusals above are down to the changes.
    expect((await me(bearer(session))).status).toBe(200);
  });

  it('publishes the public key of the token signer in the JWKS, without its private part', async () => {
    const session = await signUp(server.url);
    const { kid } = decodeSegment(session.accessToken.split('.')[0]!);
    const response = await fetch(`${server.url}/.well-known/jwks.json`);

    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key['kid'])).toContain(kid);
    expect(keys.find((key) => key['kid'] === kid)).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    for (const key of keys) expect(key).not.toHaveProperty('d');
  });
});

describe.each(databases)('password reset on $name', (server) => {
  const publicUrl = server.env['GATEHOUSE_PUBLIC_URL']!;
  const forgot = (email: string) =>
    sendJson(server.url, '/api/auth/password/forgot', 'POST', { email });
  const reset = (token: string, newPassword: string) =>
    sendJson(server.url, '/api/auth/password/reset', 'POST', { token, newPassword });

  it('answers a registered and an unregistered address alike and mails only the registered one', async () => {
    const { email } = await signUp(server.url);
    const stranger = newAddress();

    const known = await forgot(email);
    const unknown = await forgot(stranger);

    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(stableHeaders(unknown)).toEqual(stableHeaders(known));
    expect(await unknown.json()).toEqual(await known.json());

    const mails = await waitForMails(server, email, 1);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Reset your password');
    expect(resetLinkOf(server, mails[0]!.text).searchParams.get('token')).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    );
    expect(await mailsTo(server, stranger)).toEqual([]);
  });

  it('builds the reset link from the configured public URL, whatever the Host header says', async () => {
    const { email } = await signUp(server.url);
    const response = await postWithHost(server.url, '/api/auth/password/forgot', 'evil.test', {
      email,
    });

    expect(response.status).toBe(202);
    const mails = await waitForMails(server, email, 1);
    expect(mails).toHaveLength(1);
    const link = resetLinkOf(server, mails[0]!.text);
    expect(link.origin).toBe(new URL(publicUrl).origin);
    expect(mails[0]!.text).not.toContain('evil.test');
  });

  it('spends a reset token once, even under two concurrent resets, and ends every session', async () => {
    const first = await signUp(server.url);
    const second = await signIn(server.url, first.email, first.password);
    expect((await forgot(first.email)).status).toBe(202);
    expect((await forgot(first.email)).status).toBe(202);
    const mails = await waitForMails(server, first.email, 2);
    expect(mails).toHaveLength(2);
    const [token, otherToken] = mails.map((mail) =>
      resetLinkOf(server, mail.text).searchParams.get('token'),
    ) as [string, string];

    const newPassword = 'a brand new passphrase';
    const answers = await Promise.all([reset(token, newPassword), reset(token, newPassword)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 400]);
    const refused = answers.find((answer) => answer.status === 400)!;
    expect((await problemBody(refused)).errors?.[0]?.path).toBe('body.token');

    // The other pending link of the account is cancelled by the reset.
    const other = await reset(otherToken, 'yet another passphrase');
    expect(other.status).toBe(400);
    expect((await problemBody(other)).errors?.[0]?.path).toBe('body.token');

    expect((await refresh(server, first)).status).toBe(401);
    expect((await refresh(server, second)).status).toBe(401);
    expect((await login(server, first.email, first.password)).status).toBe(401);
    expect((await login(server, first.email, newPassword)).status).toBe(200);
  });

  it('lets an account go through a second forgot-and-reset cycle', async () => {
    const { email } = await signUp(server.url);
    let expected = 0;
    for (const password of ['the first new passphrase', 'the second new passphrase']) {
      expect((await forgot(email)).status).toBe(202);
      expected += 1;
      const mails = await waitForMails(server, email, expected);
      expect(mails).toHaveLength(expected);
      const token = resetLinkOf(server, mails.at(-1)!.text).searchParams.get('token')!;

      expect((await reset(token, password)).status).toBe(204);
      const signedIn = await login(server, email, password);
      expect(signedIn.status).toBe(200);
      expect(refreshCookieOf(signedIn)).toBeDefined();
    }
    expect((await login(server, email, 'the first new passphrase')).status).toBe(401);
  });

  it('refuses a malformed reset token with 400 on body.token', async () => {
    const response = await reset('not-a-token', 'a brand new passphrase');
    expect(response.status).toBe(400);
    const body = await problemBody(response);
    expect(body.type).toBe('urn:gatehouse:problem:invalid-request');
    expect(body.errors?.[0]?.path).toBe('body.token');
  });
});
