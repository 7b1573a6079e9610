import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { problemBody, sendJson } from './support.js';
import { freePort } from './ports.js';

// A Redis of this suite's own, stopped and restarted under a running app instance: the shared
// Redis other suites use is never touched.
const serverScript = fileURLToPath(new URL('../../server.js', import.meta.url));
let redisPort = 0;
let redis: ChildProcess | undefined;
let app: ChildProcess | undefined;
let base = '';

async function startRedis() {
  redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(redisPort, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
  );
}

async function stopRedis() {
  const exited = new Promise((resolve) => redis?.once('exit', resolve));
  redis?.kill('SIGKILL');
  await exited;
}

async function until(ready: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('timed out');
}

async function timed(request: () => Promise<Response>) {
  const started = Date.now();
  const response = await request();
  return { response, ms: Date.now() - started };
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = spawn(process.execPath, [serverScript], {
    stdio: 'ignore',
    env: {
      ...process.env,
      PORT: String(port),
      GATEHOUSE_PUBLIC_URL: base,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-outage-')),
      GATEHOUSE_RATE_LIMIT_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    },
  });
  await until(async () => (await fetch(`${base}/api/health`)).ok, 120_000);
}, 180_000);

afterAll(async () => {
  app?.kill('SIGTERM');
  redis?.kill('SIGKILL');
});

describe('when the rate-limit store goes down and comes back', () => {
  it('counts on Redis while it is up', async () => {
    const response = await fetch(`${base}/api/health`);
    expect(response.headers.get('ratelimit-policy')).toContain('"ip"');
  });

  it('keeps general routes serving (fail open), with no request waiting on the dead store', async () => {
    await stopRedis();

    for (let i = 0; i < 10; i += 1) {
      const { response, ms } = await timed(() => fetch(`${base}/api/health`));
      expect(response.status).toBe(200);
      expect(ms).toBeLessThan(2_000);
    }
  });

  it('refuses fail-closed sensitive routes with a 503 problem', async () => {
    const { response, ms } = await timed(() =>
      sendJson(base, '/api/auth/register', 'POST', {
        email: 'outage@example.test',
        password: 'a long enough passphrase',
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await problemBody(response)).type).toBe('urn:gatehouse:problem:unavailable');
    expect(ms).toBeLessThan(2_000);
  });

  it('keeps limiting login in process while the store is down', async () => {
    const attempt = () =>
      sendJson(base, '/api/auth/login', 'POST', {
        email: 'x@example.test',
        password: 'wrong password',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) statuses.push((await attempt()).status);

    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
  });

  it('returns to Redis by itself once it is back', async () => {
    await startRedis();
    await until(async () => {
      const response = await fetch(`${base}/api/health`);
      return response.headers.get('ratelimit-policy') !== null;
    });

    const registered = await sendJson(base, '/api/auth/register', 'POST', {
      email: 'after-outage@example.test',
      password: 'a long enough passphrase',
    });
    expect(registered.status).toBe(201);
  }, 60_000);
});
