/**
 * Rate-limit benchmark: the two-layer check (client address + user) on Redis, Gatehouse's store
 * against rate-limiter-flexible and against a bare EVALSHA round trip, in one run on one Redis;
 * then the accuracy of the sliding-window counter against the exact sliding log.
 *
 *   npm run bench:rate-limit -w @gatehouse/bench [-- --rounds 5 --duration 3 --warmup 1]
 *
 * Throughput rounds are interleaved (every variant once per round, in a rotating order) and each
 * number is the median over the rounds. Needs Redis (REDIS_URL, default redis://127.0.0.1:6379);
 * every key it writes is under one prefix of its own, deleted at the end. See docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';

import { createClient } from 'redis';

import { machine, staleSources, writeResults } from '../pipeline/report.mjs';

import { formatAccuracy, LIMIT, runAccuracy, WINDOW_MS } from './accuracy.mjs';
import {
  checkLimiters,
  createVariants,
  deleteKeys,
  FLOOR_SCRIPT,
  formatThroughput,
  keyPools,
  startProfile,
  summarizeThroughput,
  throughputRatios,
  timeVariant,
} from './throughput.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'in-flight': { type: 'string', default: '64' },
    pool: { type: 'string', default: '1000' },
    variants: { type: 'string' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});

const quick = args.quick;
const rounds = quick ? 1 : Number(args.rounds);
const duration = quick ? 1 : Number(args.duration);
const warmup = quick ? 0.5 : Number(args.warmup);
const inFlight = Number(args['in-flight']);
const poolSize = Number(args.pool);
const parts = args.only ? [args.only] : ['throughput', 'accuracy'];
if (!parts.every((part) => part === 'throughput' || part === 'accuracy')) {
  console.error('--only takes throughput or accuracy');
  process.exit(2);
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const stale = await staleSources();
if (stale.length > 0) {
  console.error(`⚠ the library changed since its last build (run npm run build -w gatehouse):`);
  for (const file of stale.slice(0, 5)) console.error(`  ${file}`);
}

const began = Date.now();
const elapsed = () => `${Math.round((Date.now() - began) / 1000)} s`;
const rotate = (list, round) => list.map((_, i) => list[(i + round) % list.length]);
let failed = false;

// Part 1: throughput on Redis.
const runs = [];
let checks = [];
let labels = {};
let redisInfo = {};
let deletedKeys = 0;
const prefix = `ghbench:rl:${process.pid}-${Date.now().toString(36)}:`;
if (parts.includes('throughput')) {
  const client = createClient({ url: redisUrl });
  client.on('error', (error) => console.error(`redis: ${error.message}`));
  await client.connect();
  try {
    const server = await client.info('server');
    redisInfo = {
      version: /redis_version:(\S+)/.exec(server)?.[1],
      url: redisUrl.replace(/\/\/[^@]*@/, '//'),
    };
    const floorSha = await client.scriptLoad(FLOOR_SCRIPT);
    const pools = keyPools(poolSize);
    let variants = createVariants({ client, prefix, floorSha });
    if (args.variants) {
      const wanted = args.variants.split(',');
      variants = variants.filter((variant) => wanted.includes(variant.name));
    }
    labels = Object.fromEntries(variants.map((variant) => [variant.name, variant.label]));

    checks = await checkLimiters({ client, prefix });
    for (const failure of checks) console.error(`✗ ${failure}`);
    if (checks.length > 0) throw new Error('a limiter does not enforce its limit; nothing timed');

    const options = { client, pools, inFlight };
    // One untimed pass first: JIT, the connection, the scripts cached in Redis.
    for (const variant of variants) {
      variant.prepare?.();
      await timeVariant(variant, { ...options, seconds: Math.max(warmup, 0.5) });
    }

    console.error(
      `${rounds * variants.length} timed runs of ${duration} s at ${inFlight} in flight, ` +
        `rounds interleaved, keys under ${prefix}`,
    );
    for (let round = 0; round < rounds; round += 1) {
      for (const variant of rotate(variants, round)) {
        variant.prepare?.();
        if (warmup > 0) await timeVariant(variant, { ...options, seconds: warmup });
        const stop = args.profile === variant.name ? await startProfile() : undefined;
        const result = await timeVariant(variant, { ...options, seconds: duration });
        if (stop) {
          const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
          const file = new URL(
            `../results/profiles/rate-limit-${variant.name}-${stamp}-r${round + 1}.cpuprofile`,
            import.meta.url,
          );
          await stop(file);
          console.error(`profile: ${file.pathname}`);
        }
        runs.push({ round: round + 1, variant: variant.name, ...result });
        console.error(
          `round ${round + 1} ${variant.name.padEnd(16)} ${Math.round(result.checksPerSecond)} ` +
            `checks/s  p99 ${result.p99.toFixed(2)} ms  Redis ${result.redisCores.toFixed(2)} ` +
            `cores  Node ${result.nodeCores.toFixed(2)} cores` +
            `${result.ok ? '' : `  ✗ ${result.errors} errors, ${result.unexpected} unexpected: ${result.firstError ?? ''}`}`,
        );
        if (!result.ok) failed = true;
      }
    }
  } finally {
    deletedKeys = await deleteKeys(client, prefix);
    console.error(`deleted ${deletedKeys} keys under ${prefix}`);
    await client.quit();
  }
  console.error(`throughput done after ${elapsed()}`);
}

// Part 2: accuracy, in process.
const accuracy = parts.includes('accuracy') ? await runAccuracy() : [];
const summaries = summarizeThroughput(runs);
const ratioRows = throughputRatios(summaries, runs);

console.log(`\n## Rate limiting: two-layer check on Redis\n`);
if (runs.length > 0) {
  console.log(`### Throughput\n`);
  console.log(formatThroughput(summaries, ratioRows, labels, inFlight));
}
if (accuracy.length > 0) {
  console.log(`### Accuracy\n`);
  console.log(formatAccuracy(accuracy));
}

const file = await writeResults('rate-limit', {
  benchmark: 'rate-limit',
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - began) / 1000),
  machine: machine(),
  redis: redisInfo,
  staleLibrarySources: stale,
  settings: {
    rounds,
    duration,
    warmup,
    inFlight,
    pool: poolSize,
    parts,
    keyPrefix: prefix,
    profiled: args.profile ?? null,
    accuracy: { limit: LIMIT, windowMs: WINDOW_MS },
  },
  throughput: { checks, labels, summaries, ratios: ratioRows, runs, deletedKeys },
  accuracy,
  ok: !failed,
});
console.error(`results: ${file} (${elapsed()} in all)`);
if (failed) {
  console.error('✗ some checks failed or had an unexpected outcome: see the JSON');
  process.exitCode = 1;
}
