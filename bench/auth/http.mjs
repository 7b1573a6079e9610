/**
 * Part 2, over HTTP: the `GET /api/me` servers of servers.mjs in child processes, the checks each
 * must pass before it is timed, and one timed autocannon run that rotates a pool of tokens.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import { percentile } from '../pipeline/measure.mjs';

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
const profileDir = fileURLToPath(new URL('../results/profiles/', import.meta.url));
const { fetch } = globalThis;

/** Forks one server and resolves once it listens; `cpu()` asks it for its CPU usage. */
export async function start(name, { record, profile }) {
  const execArgv = profile === name ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = fork(serverScript, [name], {
    execArgv,
    env: { ...process.env, NODE_ENV: 'production', BENCH_AUTH_KEY: JSON.stringify(record) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(child, 'message');
  if (message?.type !== 'ready') throw new Error(`${name} did not start`);

  const cpu = () =>
    new Promise((resolve) => {
      const onMessage = (reply) => {
        if (reply?.type !== 'cpu') return;
        child.off('message', onMessage);
        resolve(reply.usage);
      };
      child.on('message', onMessage);
      child.send('cpu');
    });
  const stop = async () => {
    const exited = once(child, 'exit');
    child.send('stop');
    await exited;
  };
  return { name, origin: `http://127.0.0.1:${message.port}`, cpu, stop };
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

/** Runs autocannon to completion; `onResponse` sees every response. */
function cannon(options, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    if (onResponse) instance.on('response', onResponse);
  });
}

/**
 * Warms the server up, then times one run of `GET /api/me` against it. Each connection sends
 * the pool's tokens in turn (autocannon's `requests`, built once, so rotating costs the load
 * generator nothing). Same measurements as bench/pipeline/measure.mjs, which takes a single
 * request only: req/s, latency percentiles to the microsecond, server CPU per request.
 */
export async function measureTokens({ origin, tokens, connections, duration, warmup, serverCpu }) {
  const options = {
    url: new URL('/api/me', origin).href,
    requests: tokens.map(({ token }) => ({
      method: 'GET',
      path: '/api/me',
      headers: { authorization: `Bearer ${token}` },
    })),
    connections,
    pipelining: 1,
    timeout: 10,
  };
  if (warmup > 0) await cannon({ ...options, duration: warmup });

  const latencies = [];
  const cpuBefore = await serverCpu();
  const ownBefore = process.cpuUsage();
  const machine = watchMachine();
  const started = performance.now();
  const result = await cannon({ ...options, duration }, (_client, _status, _bytes, ms) => {
    latencies.push(ms);
  });
  const elapsed = (performance.now() - started) / 1000;
  const own = process.cpuUsage(ownBefore);
  const busyCores = machine();
  const cpuAfter = await serverCpu();

  latencies.sort((a, b) => a - b);
  const responses = latencies.length;
  const serverMicros = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const unexpected = responses - (statuses[200] ?? 0);

  return {
    requestsPerSecond: responses / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    serverCpuMicrosPerRequest: responses > 0 ? serverMicros / responses : NaN,
    serverCpuShare: serverMicros / 1e6 / elapsed,
    loadGeneratorCpuShare: (own.user + own.system) / 1e6 / elapsed,
    // Cores kept busy by everything but the server and the load generator meanwhile.
    otherCores: busyCores - (serverMicros + own.user + own.system) / 1e6 / elapsed,
    responses,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets ?? 0,
    ok: responses > 0 && unexpected === 0 && result.errors === 0 && result.timeouts === 0,
  };
}
