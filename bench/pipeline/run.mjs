/**
 * Route pipeline and validation benchmark: Gatehouse against a hand-rolled node:http floor and
 * the Express + helmet + cors + zod stack, in one run, reported as ratios.
 *
 *   npm run bench:pipeline -w @gatehouse/bench [-- --rounds 3 --duration 3 --warmup 1]
 *
 * Each server runs in its own child process; autocannon drives them from this one. Rounds are
 * interleaved (every server and request kind once per round, in a rotating order) and each
 * metric is the median over the rounds. See docs/benchmarks.md.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { forkServer } from '../child-server.mjs';
import { measure } from './measure.mjs';
import { formatTables, machine, ratios, staleSources, summarize, writeResults } from './report.mjs';
import { checkServer, KINDS, SERVERS } from './scenario.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64,1' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

const quick = args.quick;
const rounds = quick ? 1 : Number(args.rounds);
const duration = quick ? 1 : Number(args.duration);
const warmup = quick ? 0.5 : Number(args.warmup);
const connectionLevels = args.connections.split(',').map(Number);
/** Single-connection runs measure latency, not throughput: shorter ones are enough. */
const timing = (c) =>
  c === 1
    ? { duration: Math.min(duration, 2), warmup: Math.min(warmup, 0.5) }
    : { duration, warmup };

const serverScript = fileURLToPath(new URL('./servers.mjs', import.meta.url));

/** Forks one server and resolves once it listens; `cpu()` asks it for its CPU usage. */
const start = (name) => forkServer(serverScript, name, { profile: args.profile });

const stale = await staleSources();
if (stale.length > 0) {
  console.error(`⚠ the library changed since its last build (run npm run build -w gatehouse):`);
  for (const file of stale.slice(0, 5)) console.error(`  ${file}`);
}

const servers = [];
for (const name of SERVERS) servers.push(await start(name));

let failed = false;
const runs = [];
const checks = {};
try {
  for (const server of servers) {
    checks[server.name] = await checkServer(server.origin);
    for (const failure of checks[server.name].failures) {
      console.error(`✗ ${server.name}: ${failure}`);
      failed = true;
    }
  }
  if (failed) throw new Error('a server does not implement the scenario; nothing was timed');

  // One untimed pass over everything first: JIT, connections and autocannon itself warm up.
  for (const server of servers) {
    for (const kind of KINDS) {
      await measure({
        origin: server.origin,
        kind,
        connections: 64,
        duration: warmup,
        warmup: 0,
        serverCpu: server.cpu,
      });
    }
  }

  const total = connectionLevels.length * rounds * KINDS.length * servers.length;
  console.error(`${total} timed runs, ${SERVERS.join(' / ')}, rounds interleaved`);
  for (const connections of connectionLevels) {
    for (let round = 0; round < rounds; round += 1) {
      for (const kind of KINDS) {
        // Rotate the order each round, so no server always runs right after the same one.
        const order = servers.map((_, i) => servers[(i + round) % servers.length]);
        for (const server of order) {
          const result = await measure({
            origin: server.origin,
            kind,
            connections,
            ...timing(connections),
            serverCpu: server.cpu,
          });
          runs.push({
            connections,
            round: round + 1,
            kind: kind.name,
            server: server.name,
            ...result,
          });
          console.error(
            `c=${connections} round ${round + 1} ${kind.name.padEnd(7)} ${server.name.padEnd(9)} ` +
              `${Math.round(result.requestsPerSecond)} req/s  p99 ${result.p99.toFixed(2)} ms` +
              `${result.ok ? '' : `  ✗ statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`}`,
          );
          if (!result.ok) failed = true;
        }
      }
    }
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}

const summaries = summarize(runs);
const ratioRows = ratios(summaries);
console.log(`\n## Route pipeline and validation\n`);
console.log(formatTables(summaries, ratioRows, KINDS));

const file = await writeResults('pipeline', {
  benchmark: 'pipeline',
  date: new Date().toISOString(),
  machine: machine(),
  staleLibrarySources: stale,
  settings: {
    rounds,
    duration,
    warmup,
    connections: connectionLevels,
    single: timing(1),
    profiled: args.profile ?? null,
  },
  kinds: KINDS.map(({ name, label, status, body }) => ({
    name,
    label,
    status,
    bodyBytes: body?.length ?? 0,
  })),
  checks,
  summaries,
  ratios: ratioRows,
  runs,
  ok: !failed,
});
console.error(`results: ${file}`);
if (failed) {
  console.error('✗ some responses had an unexpected status, errors or timeouts: see the JSON');
  process.exitCode = 1;
}
