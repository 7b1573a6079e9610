/**
 * Part 2, over HTTP: the `GET /api/me` servers of servers.mjs in child processes, the checks each
 * must pass before it is timed, and one timed autocannon run that rotates a pool of tokens.
 */
import { fileURLToPath } from 'node:url';

import { forkServer } from '../child-server.mjs';
import { measureLoad } from '../pipeline/measure.mjs';

import { watchMachine } from './machine-load.mjs';
export const SERVERS = ['bare', 'jose', 'gatehouse-nocache', 'gatehouse-cache'];
/** The floor verifies nothing: it is exempt from the bad-token checks, which it fails. */
export const FLOOR = 'bare';
export const LABELS = {
  bare: 'floor: `node:http`, payload read unverified',
  jose: '`node:http` + raw `jose.jwtVerify`',
  'gatehouse-nocache': 'Gatehouse, `cacheSize: 0`',
  'gatehouse-cache': 'Gatehouse, cache',
};

const serverScript = fileURLToPath(new URL('./servers.mjs', import.meta.url));
const { fetch } = globalThis;

/** Forks one server and resolves once it listens; `cpu()` asks it for its CPU usage. */
export function start(name, { record, profile }) {
  return forkServer(serverScript, name, {
    env: { BENCH_AUTH_KEY: JSON.stringify(record) },
    profile,
  });
}

/**
 * What every server must do before it is timed, so that none is fast because it checks less:
 * answer every token of the pool, one at a time, with its own user and role (which also fills
 * the caches with one verification per token), and answer 401 without a token, to Basic
 * credentials, and to each bad token (except the floor, which verifies nothing). Returns the
 * failures (empty when it conforms).
 */
export async function checkServer(origin, { tokens, bad, floor = false }) {
  const url = new URL('/api/me', origin);
  const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
  const cases = [
    ...tokens.map(({ token, userId, role }) => ({
      what: `valid token of ${userId} (${role})`,
      init: bearer(token),
      status: 200,
      json: { userId, role },
    })),
    { what: 'no Authorization header', init: {}, status: 401 },
    { what: 'Basic credentials', init: { headers: { authorization: 'Basic dTpw' } }, status: 401 },
    ...(floor ? [] : Object.entries(bad)).map(([what, token]) => ({
      what,
      init: bearer(token),
      status: 401,
    })),
  ];

  const failures = [];
  for (const check of cases) {
    const response = await fetch(url, check.init);
    const text = await response.text();
    if (response.status !== check.status) {
      failures.push(`${check.what}: expected ${check.status}, got ${response.status}`);
    } else if (check.json && text !== JSON.stringify(check.json)) {
      failures.push(`${check.what}: unexpected body ${text.slice(0, 120)}`);
    }
  }
  const valid = cases.filter((check) => check.status === 200).length;
  return {
    cases: [
      `${valid} valid tokens: 200 with their own user and role`,
      ...cases.filter((check) => check.status !== 200).map(({ what }) => `${what}: 401`),
    ],
    failures,
  };
}

/**
 * Warms the server up, then times one run of `GET /api/me` against it. Each connection sends
 * the pool's tokens in turn (autocannon's `requests`, built once, so rotating costs the load
 * generator nothing).
 */
export function measureTokens({ origin, tokens, ...run }) {
  const requests = tokens.map(({ token }) => ({
    method: 'GET',
    path: '/api/me',
    headers: { authorization: `Bearer ${token}` },
  }));
  const target = { url: new URL('/api/me', origin).href, requests };
  return measureLoad({ target, expectedStatus: 200, watch: watchMachine, ...run });
}
