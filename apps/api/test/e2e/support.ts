import { readFileSync } from 'node:fs';

import { expect, inject } from 'vitest';

export const servers = inject('servers');

/** The SQLite (embedded default) instance, for tests that need only one. */
export const embedded = servers.find((server) => server.name === 'sqlite') ?? servers[0]!;

/** Sends JSON to the API. */
export function sendJson(base: string, path: string, method: string, body: unknown) {
  return fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
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
