/**
 * Authentication benchmark: Gatehouse's access-token verifier, without and with its
 * verified-token cache, against raw `jose.jwtVerify` of the same Ed25519 `at+jwt` tokens, in one
 * run, reported as ratios.
 *
 *   npm run bench:auth -w @gatehouse/bench [-- --rounds 5 --verify-duration 1.5 --duration 3]
 *
 * Part 1 verifies in this process, no HTTP; part 2 serves `GET /api/me` from child processes
 * and drives them with autocannon. Rounds are interleaved (every verifier or server once per
 * round, in a rotating order) and each number is the median over the rounds. See
 * docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';

import { machine, staleSources, summarize, writeResults } from '../pipeline/report.mjs';

import { checkServer, FLOOR, LABELS, measureTokens, SERVERS, start } from './http.mjs';
import {
  formatHttp,
  formatVerify,
  httpRatios,
  summarizeVerify,
  verifyRatios,
  withOtherCores,
} from './tables.mjs';
import { badTokens, issueTokens, newSigningKey, publicKeyOf, ringOf } from './tokens.mjs';
import { createVariants, timeVariant } from './verify.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'verify-duration': { type: 'string', default: '1.5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0.5' },
    'in-flight': { type: 'string', default: '1,64' },
    connections: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '1000' },
    'http-tokens': { type: 'string', default: '100' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

const quick = args.quick;
const rounds = quick ? 1 : Number(args.rounds);
const verifyDuration = quick ? 0.5 : Number(args['verify-duration']);
const duration = quick ? 1 : Number(args.duration);
const warmup = quick ? 0.5 : Number(args.warmup);
/** In process, after the first untimed pass, a quarter of a second settles each run. */
const verifyWarmup = Math.min(warmup, 0.25);
const inFlightLevels = args['in-flight'].split(',').map(Number);
const connectionLevels = args.connections.split(',').map(Number);
const poolSize = Number(args.tokens);
const httpPoolSize = Number(args['http-tokens']);
const parts = args.only ? [args.only] : ['verify', 'http'];
if (!parts.every((part) => part === 'verify' || part === 'http')) {
  console.error('--only takes verify or http');
  process.exit(2);
}

const stale = await staleSources();
if (stale.length > 0) {
  console.error(`⚠ the library changed since its last build (run npm run build -w gatehouse):`);
  for (const file of stale.slice(0, 5)) console.error(`  ${file}`);
}

const began = Date.now();
const record = await newSigningKey();
const ring = await ringOf(record);
const publicKey = await publicKeyOf(record);
const tokens = await issueTokens(ring, Math.max(poolSize, httpPoolSize));
const bad = await badTokens(ring, record);
const tokenBytes = tokens[0].token.length;
console.error(`${tokens.length} tokens of ${tokenBytes} characters, issued for 600 s`);

let failed = false;
const rotate = (list, round) => list.map((_, i) => list[(i + round) % list.length]);

// Part 1: in process.
const verifyRuns = [];
const verifyChecks = {};
let verifyLabels = {};
if (parts.includes('verify')) {
  const variants = await createVariants({ ring, publicKey, tokens: tokens.slice(0, poolSize) });
  verifyLabels = Object.fromEntries(variants.map((v) => [v.name, v.label]));

  // Every verifier must refuse every bad token, or its speed means nothing.
  for (const variant of variants) {
    verifyChecks[variant.name] = [];
    for (const [what, token] of Object.entries(bad)) {
      const refused = (await variant.call(token)) === undefined;
      verifyChecks[variant.name].push({ what, refused });
      if (!refused) {
        console.error(`✗ ${variant.name} accepted a token with ${what}`);
        failed = true;
      }
    }
  }
  if (failed) throw new Error('a verifier accepts a bad token; nothing was timed');

  // One untimed pass first, so the JIT has seen every verifier before anything is timed.
  for (const variant of variants) {
    await timeVariant(variant, { seconds: 0.5, inFlight: Math.max(...inFlightLevels) });
  }
  const total = inFlightLevels.length * rounds * variants.length;
  console.error(
    `part 1: ${total} timed runs of ${verifyDuration} s in process, rounds interleaved`,
  );
  for (const inFlight of inFlightLevels) {
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of rotate(variants, round)) {
        if (verifyWarmup > 0) await timeVariant(variant, { seconds: verifyWarmup, inFlight });
        const result = await timeVariant(variant, { seconds: verifyDuration, inFlight });
        verifyRuns.push({ inFlight, round: round + 1, variant: variant.name, ...result });
        console.error(
          `in flight ${String(inFlight).padStart(2)} round ${round + 1} ${variant.name.padEnd(20)} ` +
            `${Math.round(result.opsPerSecond)} verifications/s` +
            `${result.ok ? '' : `  ✗ ${result.failures} verifications failed`}`,
        );
        if (!result.ok) failed = true;
      }
    }
  }
}

const elapsed = () => `${Math.round((Date.now() - began) / 1000)} s`;
if (parts.includes('verify')) console.error(`part 1 done after ${elapsed()}`);

// Part 2: over HTTP.
const httpRuns = [];
const httpChecks = {};
const httpTokens = tokens.slice(0, httpPoolSize);
if (parts.includes('http')) {
  const servers = [];
  for (const name of SERVERS) servers.push(await start(name, { record, profile: args.profile }));
  try {
    let nonconforming = false;
    for (const server of servers) {
      httpChecks[server.name] = await checkServer(server.origin, {
        tokens: httpTokens,
        bad,
        floor: server.name === FLOOR,
      });
      for (const failure of httpChecks[server.name].failures) {
        console.error(`✗ ${server.name}: ${failure}`);
        nonconforming = true;
      }
    }
    if (nonconforming)
      throw new Error('a server does not implement the scenario; nothing was timed');

    // One untimed pass first: JIT, connections and autocannon itself warm up. (The checks have
    // already put every token in the caches, one at a time: 64 connections sending a token the
    // cache has not seen yet would each verify it.)
    for (const server of servers) {
      await measureTokens({
        origin: server.origin,
        tokens: httpTokens,
        connections: Math.max(...connectionLevels),
        duration: Math.max(warmup, 1),
        warmup: 0,
        serverCpu: server.cpu,
      });
    }

    const total = connectionLevels.length * rounds * servers.length;
    console.error(`part 2: ${total} timed runs of ${duration} s over HTTP, rounds interleaved`);
    for (const connections of connectionLevels) {
      for (let round = 0; round < rounds; round += 1) {
        for (const server of rotate(servers, round)) {
          const result = await measureTokens({
            origin: server.origin,
            tokens: httpTokens,
            connections,
            duration,
            warmup,
            serverCpu: server.cpu,
          });
          httpRuns.push({
            connections,
            round: round + 1,
            kind: 'me',
            server: server.name,
            ...result,
          });
          console.error(
            `c=${connections} round ${round + 1} ${server.name.padEnd(17)} ` +
              `${Math.round(result.requestsPerSecond)} req/s  p99 ${result.p99.toFixed(2)} ms` +
              `${result.ok ? '' : `  ✗ statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`}`,
          );
          if (!result.ok) failed = true;
        }
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const verifySummaries = summarizeVerify(verifyRuns);
const verifyRatioRows = verifyRatios(verifySummaries);
const httpSummaries = withOtherCores(summarize(httpRuns), httpRuns);
const httpRatioRows = httpRatios(httpSummaries);

console.log(`\n## Authentication: access-token verification\n`);
if (verifyRuns.length > 0) {
  console.log(`### In process\n`);
  console.log(formatVerify(verifySummaries, verifyRatioRows, verifyLabels));
}
if (httpRuns.length > 0) {
  console.log(`### GET /api/me over HTTP\n`);
  console.log(formatHttp(httpSummaries, httpRatioRows, LABELS));
}

const file = await writeResults('auth', {
  benchmark: 'auth',
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - began) / 1000),
  machine: machine(),
  staleLibrarySources: stale,
  settings: {
    rounds,
    verifyDuration,
    verifyWarmup,
    duration,
    warmup,
    inFlight: inFlightLevels,
    connections: connectionLevels,
    tokens: poolSize,
    httpTokens: httpPoolSize,
    tokenCharacters: tokenBytes,
    parts,
    profiled: args.profile ?? null,
  },
  verify: {
    checks: verifyChecks,
    summaries: verifySummaries,
    ratios: verifyRatioRows,
    runs: verifyRuns,
  },
  http: { checks: httpChecks, summaries: httpSummaries, ratios: httpRatioRows, runs: httpRuns },
  ok: !failed,
});
console.error(`results: ${file} (${elapsed()} in all)`);
if (failed) {
  console.error('✗ some verifications or responses failed: see the JSON');
  process.exitCode = 1;
}
