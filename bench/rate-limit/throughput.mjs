/**
 * Part 1 of the rate-limit benchmark: two-layer checks (client address + user) per second on one
 * Redis, Gatehouse's store against rate-limiter-flexible and against a bare EVALSHA round trip,
 * all through one node-redis client in this process, with a fixed number of checks in flight.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

import { createRedisRateLimitStore } from 'gatehouse/rate-limit';
import { RateLimiterRedis } from 'rate-limiter-flexible';

// Not part of the package's exports: read from the build the benchmark times.
import { CHECK_LIMITS } from '../../packages/gatehouse/dist/rate-limit/redis-scripts.js';

import { watchMachine } from '../auth/machine-load.mjs';
import { median, percentile } from '../pipeline/measure.mjs';

/** The floor's script: one command, one key, the cheapest script that writes. */
export const FLOOR_SCRIPT = "return redis.call('INCR', KEYS[1])";

/** A limit nothing in the run reaches: every check is admitted. */
const HIGH = 30_000_000;
const WINDOW_SECONDS = 60;
/** The user limit of the variant that is mostly denied. */
const TIGHT = 10;

/** `size` client addresses (`ip4:10.0.x.y`) and as many users (`user:n`). */
export function keyPools(size) {
  const ips = Array.from(
    { length: size },
    (_, i) => `ip4:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );
  const users = Array.from({ length: size }, (_, i) => `user:${i}`);
  return { ips, users };
}

/** The checks a Gatehouse app sends for one authenticated request: its address and its user. */
function twoLayer(ip, user, userLimit) {
  return [
    {
      policy: 'ip',
      key: ip,
      limit: HIGH,
      windowSeconds: WINDOW_SECONDS,
      cost: 1,
      algorithm: 'sliding-window',
    },
    {
      policy: 'user',
      key: user,
      limit: userLimit,
      windowSeconds: WINDOW_SECONDS,
      cost: 1,
      algorithm: 'sliding-window',
    },
  ];
}

/**
 * `EVALSHA` of a loaded script, loading it again when Redis has lost it (`NOSCRIPT`: a restart,
 * or a `SCRIPT FLUSH`, which the library's integration tests send to the same Redis).
 */
export async function evalShaLoaded(client, loaded, call) {
  try {
    return await client.evalSha(loaded.sha, call);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    loaded.sha = await client.scriptLoad(loaded.script);
    return client.evalSha(loaded.sha, call);
  }
}

/** rate-limiter-flexible rejects with its `RateLimiterRes` when over the limit, else an Error. */
const rlfOutcome = (error) => {
  if (error instanceof Error) throw error;
  return 'denied';
};

function rlfLimiter(client, keyPrefix, points) {
  // `useRedisPackage` is how rate-limiter-flexible is told it holds a node-redis v4+ client.
  return new RateLimiterRedis({
    storeClient: client,
    useRedisPackage: true,
    keyPrefix,
    points,
    duration: WINDOW_SECONDS,
  });
}

/**
 * The variants, each a `call(ip, user)` resolving to 'allowed' or 'denied' (throwing on a store
 * error), and the outcome every call must have (`undefined`: either). `prepare()`, if any, runs
 * before each warm-up: the mostly-denied variant starts every run on fresh users.
 */
export function createVariants({ client, prefix, floorSha }) {
  const floor = { script: FLOOR_SCRIPT, sha: floorSha };
  const own = { script: CHECK_LIMITS, sha: undefined };
  const store = createRedisRateLimitStore(client, { prefix: `${prefix}gh:` });
  const single = createRedisRateLimitStore(client, { prefix: `${prefix}gh1:`, coalesce: false });
  const ip = rlfLimiter(client, `${prefix}rlf:ip`, HIGH);
  const user = rlfLimiter(client, `${prefix}rlf:user`, HIGH);
  const floorKey = `${prefix}floor`;
  let run = 0;

  return [
    {
      name: 'gatehouse',
      label: 'Gatehouse `store.check([ip, user])`',
      expect: 'allowed',
      call: async (ipKey, userKey) =>
        (await store.check(twoLayer(ipKey, userKey, HIGH))).allowed ? 'allowed' : 'denied',
    },
    {
      name: 'gatehouse-single',
      label: 'Gatehouse, `coalesce: false` (one call per check)',
      expect: 'allowed',
      call: async (ipKey, userKey) =>
        (await single.check(twoLayer(ipKey, userKey, HIGH))).allowed ? 'allowed' : 'denied',
    },
    {
      name: 'gatehouse-denied',
      label: `Gatehouse, user limit ${TIGHT}/min (mostly denied)`,
      expect: undefined,
      prepare: () => {
        run += 1;
      },
      call: async (ipKey, userKey) =>
        (await store.check(twoLayer(ipKey, `${userKey}:run${run}`, TIGHT))).allowed
          ? 'allowed'
          : 'denied',
    },
    {
      name: 'rlf',
      label: '(a) rate-limiter-flexible, 2 × `consume` in `Promise.all`',
      expect: 'allowed',
      call: (ipKey, userKey) =>
        Promise.all([ip.consume(ipKey), user.consume(userKey)]).then(() => 'allowed', rlfOutcome),
    },
    {
      name: 'rlf-sequential',
      label: 'rate-limiter-flexible, 2 × `consume` one after the other',
      expect: 'allowed',
      call: async (ipKey, userKey) => {
        try {
          await ip.consume(ipKey);
          await user.consume(userKey);
          return 'allowed';
        } catch (error) {
          return rlfOutcome(error);
        }
      },
    },
    {
      name: 'raw-script',
      label: "one raw `EVALSHA` of the store's own script per check, by hand",
      expect: 'allowed',
      call: async (ipKey, userKey) => {
        // The store's argument layout for one request of two window checks (redis-scripts.ts):
        // nonce, 1 rule (w, limit, window, cost), then the requests as JSON: one of 2 checks, each
        // on rule 1.
        own.sha ??= await client.scriptLoad(own.script);
        const reply = await evalShaLoaded(client, own, {
          keys: [`${prefix}raw:{${ipKey}}:ip:w60`, `${prefix}raw:{${userKey}}:user:w60`],
          arguments: ['n', '1', 'w', `${HIGH}`, '60000', '1', '[2,1,1]'],
        });
        return Array.isArray(reply) && reply[1] === 1 ? 'allowed' : 'denied';
      },
    },
    {
      name: 'floor',
      label: '(b) floor: one `EVALSHA` of `INCR`',
      expect: 'allowed',
      call: async () => {
        const count = await evalShaLoaded(client, floor, { keys: [floorKey], arguments: [] });
        if (typeof count !== 'number') throw new Error(`EVALSHA answered ${count}`);
        return 'allowed';
      },
    },
  ];
}

/**
 * Before anything is timed, both limiters must enforce a limit, so that neither is fast because
 * it checks less: with a user limit of 3, the fourth request of one user is denied.
 */
export async function checkLimiters({ client, prefix }) {
  const failures = [];
  const store = createRedisRateLimitStore(client, { prefix: `${prefix}check:gh:` });
  const ip = rlfLimiter(client, `${prefix}check:rlf:ip`, HIGH);
  const user = rlfLimiter(client, `${prefix}check:rlf:user`, 3);
  const gatehouse = [];
  const rlf = [];
  for (let i = 0; i < 4; i += 1) {
    const decision = await store.check(twoLayer('ip4:192.0.2.1', 'user:check', 3));
    gatehouse.push(decision.allowed && decision.states.every((s) => s.allowed));
    rlf.push(
      await Promise.all([ip.consume('ip4:192.0.2.1'), user.consume('user:check')]).then(
        () => true,
        (error) => (error instanceof Error ? Promise.reject(error) : false),
      ),
    );
  }
  const expected = JSON.stringify([true, true, true, false]);
  if (JSON.stringify(gatehouse) !== expected) failures.push(`gatehouse admitted ${gatehouse}`);
  if (JSON.stringify(rlf) !== expected) failures.push(`rate-limiter-flexible admitted ${rlf}`);
  return failures;
}

/** Redis's own CPU seconds and per-command counters, from INFO (the whole server's). */
async function redisStats(client) {
  const text = await client.sendCommand(['INFO', 'cpu', 'commandstats']);
  const stats = { cpu: 0, calls: 0, commands: {} };
  for (const line of text.split(/\r?\n/)) {
    const cpu = /^used_cpu_(?:sys|user):([\d.]+)$/.exec(line);
    if (cpu) stats.cpu += Number(cpu[1]);
    const command = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (command) {
      const [, name, calls, usec] = command;
      stats.commands[name] = { calls: Number(calls), usec: Number(usec) };
      if (name !== 'info') stats.calls += Number(calls);
    }
  }
  return stats;
}

/** Per-command calls and server time during a run, for the commands that ran. */
function commandDelta(before, after) {
  const out = {};
  for (const [name, { calls, usec }] of Object.entries(after.commands)) {
    const was = before.commands[name] ?? { calls: 0, usec: 0 };
    if (name !== 'info' && calls > was.calls) {
      out[name] = { calls: calls - was.calls, usec: usec - was.usec };
    }
  }
  return out;
}

function scriptMicros(commands) {
  const scripts = ['eval', 'evalsha'].map((name) => commands[name] ?? { calls: 0, usec: 0 });
  const calls = scripts.reduce((sum, c) => sum + c.calls, 0);
  return calls > 0 ? scripts.reduce((sum, c) => sum + c.usec, 0) / calls : NaN;
}

/**
 * Calls `variant` for `seconds` with `inFlight` calls pending at all times, each on a client
 * address and a user drawn at random from the pools. Records every call's latency; CPU time is
 * this process's (the node-redis client included) and the Redis server's.
 */
export async function timeVariant(variant, { client, pools, seconds, inFlight }) {
  const { ips, users } = pools;
  const latencies = [];
  const outcomes = { allowed: 0, denied: 0 };
  let errors = 0;
  let unexpected = 0;
  let firstError;

  const redisBefore = await redisStats(client);
  const cpuBefore = process.cpuUsage();
  const machineLoad = watchMachine();
  const started = performance.now();
  const end = started + seconds * 1000;

  async function worker() {
    while (performance.now() < end) {
      const ip = ips[Math.floor(Math.random() * ips.length)];
      const user = users[Math.floor(Math.random() * users.length)];
      const t0 = performance.now();
      try {
        const outcome = await variant.call(ip, user);
        outcomes[outcome] += 1;
        if (variant.expect !== undefined && outcome !== variant.expect) unexpected += 1;
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const busyCores = machineLoad();
  const redisAfter = await redisStats(client);

  latencies.sort((a, b) => a - b);
  const done = latencies.length;
  const nodeCpu = (cpu.user + cpu.system) / 1e6;
  const redisCpu = redisAfter.cpu - redisBefore.cpu;
  const commands = commandDelta(redisBefore, redisAfter);
  return {
    checksPerSecond: done / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    nodeCpuMicrosPerCheck: (nodeCpu * 1e6) / done,
    redisCpuMicrosPerCheck: (redisCpu * 1e6) / done,
    // Commands Redis ran per check, those run by scripts included (INFO excluded).
    redisCommandsPerCheck: (redisAfter.calls - redisBefore.calls) / done,
    redisCommands: commands,
    // Server time inside the script calls (EVAL and EVALSHA), commands they run included.
    scriptMicrosPerCall: scriptMicros(commands),
    nodeCores: nodeCpu / elapsed,
    redisCores: redisCpu / elapsed,
    // Cores kept busy by everything else on the machine meanwhile.
    otherCores: busyCores - (nodeCpu + redisCpu) / elapsed,
    deniedShare: outcomes.denied / done,
    checks: done,
    outcomes,
    errors,
    unexpected,
    firstError,
    ok: done > 0 && errors === 0 && unexpected === 0,
  };
}

/** Starts a CPU profile of this process; the function returned stops it and writes it. */
export async function startProfile() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(new URL('.', file), { recursive: true });
    await writeFile(file, JSON.stringify(profile));
  };
}

/** Deletes every key under `prefix`, a batch at a time, and returns how many. */
export async function deleteKeys(client, prefix) {
  let deleted = 0;
  let batch = [];
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    batch.push(...(Array.isArray(keys) ? keys : [keys]));
    if (batch.length >= 1000) {
      deleted += await client.unlink(batch);
      batch = [];
    }
  }
  if (batch.length > 0) deleted += await client.unlink(batch);
  return deleted;
}

const METRICS = [
  'checksPerSecond',
  'p50',
  'p99',
  'nodeCpuMicrosPerCheck',
  'redisCpuMicrosPerCheck',
  'redisCommandsPerCheck',
  'scriptMicrosPerCall',
  'deniedShare',
  'otherCores',
];

/** (max - min) / median of the rounds: how much the rounds disagreed. */
const spread = (values) => (Math.max(...values) - Math.min(...values)) / median(values);

/** The median of each metric over the rounds, per variant. */
export function summarizeThroughput(runs) {
  const names = [...new Set(runs.map((run) => run.variant))];
  return names.map((variant) => {
    const group = runs.filter((run) => run.variant === variant);
    const summary = { variant, rounds: group.length };
    for (const metric of METRICS) summary[metric] = median(group.map((run) => run[metric]));
    summary.spread = spread(group.map((run) => run.checksPerSecond));
    return summary;
  });
}

/** The comparisons the issue asks for, with their targets on checks per second. */
export const COMPARISONS = [
  { subject: 'gatehouse', versus: 'rlf', target: 2 },
  { subject: 'gatehouse', versus: 'floor', target: 0.85 },
  { subject: 'gatehouse', versus: 'rlf-sequential' },
  { subject: 'gatehouse-single', versus: 'rlf' },
  { subject: 'gatehouse', versus: 'raw-script' },
  { subject: 'gatehouse-denied', versus: 'floor' },
  { subject: 'rlf', versus: 'floor' },
];

/**
 * Each comparison: the ratio of the medians, and the range of the ratios within one round (the
 * two variants ran back to back there, so the same load weighed on both).
 */
export function throughputRatios(summaries, runs) {
  const find = (variant) => summaries.find((s) => s.variant === variant);
  const out = [];
  for (const { subject, versus, target } of COMPARISONS) {
    const a = find(subject);
    const b = find(versus);
    if (!a || !b) continue;
    const perRound = [...new Set(runs.map((run) => run.round))].flatMap((round) => {
      const x = runs.find((run) => run.round === round && run.variant === subject);
      const y = runs.find((run) => run.round === round && run.variant === versus);
      return x && y ? [x.checksPerSecond / y.checksPerSecond] : [];
    });
    const ratio = { subject, versus, target };
    for (const metric of ['checksPerSecond', 'p50', 'p99']) ratio[metric] = a[metric] / b[metric];
    ratio.cpuMicrosPerCheck =
      (a.nodeCpuMicrosPerCheck + a.redisCpuMicrosPerCheck) /
      (b.nodeCpuMicrosPerCheck + b.redisCpuMicrosPerCheck);
    ratio.perRoundMin = Math.min(...perRound);
    ratio.perRoundMax = Math.max(...perRound);
    ratio.met = target === undefined ? undefined : ratio.checksPerSecond >= target;
    out.push(ratio);
  }
  return out;
}

const int = (value) => Math.round(value).toLocaleString('en-US');
const ms = (value) => (value < 1 ? value.toFixed(3) : value.toFixed(2));
const micros = (value) => value.toFixed(1);
const x = (value) => `${value.toFixed(2)}×`;
const percent = (value) => `${(value * 100).toFixed(0)} %`;
const cores = (value) => (Number.isNaN(value) ? '?' : value.toFixed(2));

export function formatThroughput(summaries, ratioRows, labels, inFlight) {
  const lines = [];
  lines.push(
    `| variant (${inFlight} in flight) | checks/s | p50 ms | p99 ms | Node CPU µs/check | ` +
      'Redis CPU µs/check | Redis commands/check | µs/script call | denied | spread | other cores |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summaries) {
    lines.push(
      `| ${labels[s.variant]} | ${int(s.checksPerSecond)} | ${ms(s.p50)} | ${ms(s.p99)} | ` +
        `${micros(s.nodeCpuMicrosPerCheck)} | ${micros(s.redisCpuMicrosPerCheck)} | ` +
        `${s.redisCommandsPerCheck.toFixed(1)} | ${micros(s.scriptMicrosPerCall)} | ` +
        `${percent(s.deniedShare)} | ` +
        `${percent(s.spread)} | ${cores(s.otherCores)} |`,
    );
  }
  lines.push('');
  lines.push(
    '| variant | ÷ | checks/s | per round | p50 | p99 | CPU/check (Node + Redis) | target | met |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of ratioRows) {
    lines.push(
      `| ${labels[r.subject]} | ${labels[r.versus]} | ${x(r.checksPerSecond)} | ` +
        `${r.perRoundMin.toFixed(2)}–${r.perRoundMax.toFixed(2)} | ${x(r.p50)} | ${x(r.p99)} | ` +
        `${x(r.cpuMicrosPerCheck)} | ${r.target === undefined ? '' : `≥ ${r.target}×`} | ` +
        `${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
