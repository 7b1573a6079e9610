/**
 * One `GET /api/me` server, run in its own child process:
 * `node servers.mjs <bare|jose|gatehouse-nocache|gatehouse-cache>`, with the signing key record
 * (JSON) in the `BENCH_AUTH_KEY` environment variable. It answers `200 {"userId","role"}` to a
 * valid Bearer access token and `401` otherwise. Same protocol as bench/pipeline/servers.mjs:
 * listens on a random port of 127.0.0.1, reports it over IPC, answers 'cpu', exits on 'stop'.
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

import { BEARER, joseVerify, publicKeyOf, ringOf, SETTINGS } from './tokens.mjs';
import { serveToParent } from '../child-server.mjs';

const { Response } = globalThis;

function send(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const unauthorized = (res) =>
  send(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="api"' });

/**
 * The floor, not a candidate: node:http by hand that reads the token's payload WITHOUT verifying
 * it. What it costs is what every server pays besides verification.
 */
async function bare() {
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/api/me')
      return send(res, 404, { error: 'not found' });
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) return unauthorized(res);
    let claims;
    try {
      claims = JSON.parse(Buffer.from(match[1].split('.')[1] ?? '', 'base64url').toString('utf8'));
    } catch {
      return unauthorized(res);
    }
    send(res, 200, { userId: claims.sub, role: claims.role });
  });
}

/** The anchor: node:http by hand, the Bearer header parsed, raw `jose.jwtVerify`. */
async function jose(record) {
  const publicKey = await publicKeyOf(record);
  return createServer(async (req, res) => {
    if (req.method !== 'GET' || req.url !== '/api/me')
      return send(res, 404, { error: 'not found' });
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match) return unauthorized(res);
    const claims = await joseVerify(match[1], publicKey);
    if (claims === undefined) return unauthorized(res);
    send(res, 200, { userId: claims.sub, role: claims.role });
  });
}

/** The library under test: the node:http adapter, the pipeline and the Bearer authenticator. */
async function gatehouse(record, cacheSize) {
  const { createAccessTokenVerifier, createBearerAuthenticator } = await import('gatehouse/auth');
  const { createGatehouse, defineRoutes, route } = await import('gatehouse/pipeline');
  const { createNodeListener } = await import('gatehouse/node');

  const verifier = createAccessTokenVerifier(await ringOf(record), SETTINGS, { cacheSize });
  const me = defineRoutes('/api/me', {
    GET: route({
      access: 'user',
      rateLimit: 'api',
      audit: 'account.read',
      handler: ({ principal }) => Response.json({ userId: principal.userId, role: principal.role }),
    }),
  });
  const authenticator = createBearerAuthenticator(verifier);
  const listener = createNodeListener(createGatehouse({ authenticator }), [me], {
    origin: 'http://127.0.0.1',
  });
  return createServer(listener);
}

const builders = {
  bare,
  jose,
  'gatehouse-nocache': (record) => gatehouse(record, 0),
  // The library's default size, 10,000 tokens.
  'gatehouse-cache': (record) => gatehouse(record, undefined),
};
const name = process.argv[2];
if (!Object.hasOwn(builders, name) || !process.send || !process.env.BENCH_AUTH_KEY) {
  console.error(
    `usage: forked with IPC and BENCH_AUTH_KEY, node servers.mjs <${Object.keys(builders).join('|')}>`,
  );
  process.exit(2);
}

serveToParent(await builders[name](JSON.parse(process.env.BENCH_AUTH_KEY)));
