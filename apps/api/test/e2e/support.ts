import { readFileSync } from 'node:fs';

import { expect, inject } from 'vitest';

export const servers = inject('servers');

/** The refresh cookie's name. */
export const REFRESH_COOKIE = '__Host-gatehouse-refresh';

/** One instance per database: the second PostgreSQL instance only serves scale-out tests. */
export const databases = servers.filter(
  (server) => server.name === 'sqlite' || server.name === 'postgres',
);

/** The instances with the default rate limits, sharing Redis, behind a trusted loopback proxy. */
export const limited = servers.find((server) => server.name === 'limited')!;
export const limitedB = servers.find((server) => server.name === 'limited-b')!;

/** The instance serving its pages' CSP report-only, with an https public URL (HSTS). */
export const reportOnly = servers.find((server) => server.name === 'report-only')!;

/** The SQLite (embedded default) instance, for tests that need only one. */
export const embedded = servers.find((server) => server.name === 'sqlite') ?? servers[0]!;

/** Sends JSON to the API. */
export function sendJson(
  base: string,
  path: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Parses a problem response after checking its media type. */
export async function problemBody(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as {
    type: string;
    title: string;
    status: number;
    requestId: string;
    errors?: { path: string; code: string; message: string }[];
  };
}

/** The JSON log lines a server has written so far. */
export function logLines(logFile: string): Record<string, unknown>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A signed-in account: its access token, its refresh cookie, and its credentials. */
export interface Session {
  readonly email: string;
  readonly password: string;
  readonly accessToken: string;
  /** `name=value` of the refresh cookie, ready for a `Cookie` header. */
  readonly cookie: string;
  readonly userId: string;
}

/** The `name=value` part of the refresh cookie a response sets, if any. */
export function refreshCookieOf(response: Response): string | undefined {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${REFRESH_COOKIE}=`));
  return header?.split(';')[0];
}

/** Registers a fresh account and signs in. */
export async function signUp(
  base: string,
  password = 'correct horse battery staple',
): Promise<Session> {
  const email = `user-${crypto.randomUUID()}@example.test`;
  const registered = await sendJson(base, '/api/auth/register', 'POST', { email, password });
  expect(registered.status).toBe(201);
  return signIn(base, email, password);
}

/** Signs in with existing credentials. */
export async function signIn(base: string, email: string, password: string): Promise<Session> {
  const response = await sendJson(base, '/api/auth/login', 'POST', { email, password });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string };
  const me = await fetch(`${base}/api/me`, {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  const { id } = (await me.json()) as { id: string };
  return {
    email,
    password,
    accessToken: body.access_token,
    cookie: refreshCookieOf(response)!,
    userId: id,
  };
}

/** Headers of an authenticated JSON request. */
export function bearer(
  session: Session,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { authorization: `Bearer ${session.accessToken}`, ...extra };
}

/** A `Set-Cookie` header split into its name, value and lower-cased attributes. */
export function parseSetCookie(header: string) {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const equals = pair.indexOf('=');
  return {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    attributes: new Map(
      attributes.map((attribute): [string, string] => {
        const at = attribute.indexOf('=');
        return at === -1
          ? [attribute.toLowerCase(), '']
          : [attribute.slice(0, at).toLowerCase(), attribute.slice(at + 1)];
      }),
    ),
  };
}

/** The one refresh-cookie `Set-Cookie` of a response, parsed. */
export function refreshSetCookie(response: Response) {
  const headers = response.headers
    .getSetCookie()
    .filter((header) => header.startsWith(`${REFRESH_COOKIE}=`));
  expect(headers).toHaveLength(1);
  return parseSetCookie(headers[0]!);
}
