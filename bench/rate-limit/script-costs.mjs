/**
 * Where the Redis store's script spends its time inside Redis: the server time per request
 * (`INFO commandstats`) of the store's `CHECK_LIMITS`, and of the same script cut short after
 * each of its stages, replaying the calls the store really makes for two-layer checks (an address
 * and a user, both sliding windows) in batches of 1, 16 and 64 requests, one call at a time. The
 * cut copies are measurements, not scripts the library runs. Needs Redis (REDIS_URL); keys under
 * a prefix of its own, deleted at the end.
 *
 *   node bench/rate-limit/script-costs.mjs [--batches 300]
 */
import { parseArgs } from 'node:util';

import { createRedisRateLimitStore } from 'gatehouse/rate-limit';
import { createClient } from 'redis';

// Not part of the package's exports: read from the build the benchmark times.
import { CHECK_LIMITS } from '../../packages/gatehouse/dist/rate-limit/redis-scripts.js';

import { median } from '../pipeline/measure.mjs';

import { FLOOR_SCRIPT, deleteKeys, keyPools } from './throughput.mjs';

const { values: args } = parseArgs({ options: { batches: { type: 'string', default: '300' } } });
const batches = Number(args.batches);

/** The script up to `marker` (where a stage begins), returning 1 there. */
function upTo(marker, close = '') {
  const at = CHECK_LIMITS.indexOf(marker);
  if (at === -1) throw new Error(`the script no longer holds: ${marker}`);
  return `${CHECK_LIMITS.slice(0, at)}${close}\nreturn 1`;
}

const STAGES = [
  { name: '`return 1`, with the same keys and arguments', script: 'return 1' },
  { name: 'up to the `MGET` (clock, rules)', script: upTo("local stored = call('MGET'") },
  { name: 'up to the decisions (counters read)', script: upTo('local reply, n = ') },
  { name: 'up to the writes (every request decided)', script: upTo('\n-- Only a window counter') },
  { name: '`CHECK_LIMITS`, whole', script: CHECK_LIMITS },
];

const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
await client.connect();
const prefix = `ghbench:rl-script:${process.pid}-${Date.now().toString(36)}:`;

/** The script calls the store makes for `count` batches of `size` two-layer checks. */
async function recordCalls(size, count) {
  const calls = [];
  const recorder = {
    evalSha: async (_sha, call) => {
      calls.push(call);
      throw new Error('recorded');
    },
    eval: async () => {
      throw new Error('recorded');
    },
  };
  const store = createRedisRateLimitStore(recorder, { prefix, batchSize: size });
  const { ips, users } = keyPools(1000);
  const check = (policy, key) => ({
    policy,
    key,
    limit: 30_000_000,
    windowSeconds: 60,
    cost: 1,
    algorithm: 'sliding-window',
  });
  for (let n = 0; n < count; n += 1) {
    const pick = (pool) => pool[Math.floor(Math.random() * pool.length)];
    await Promise.allSettled(
      Array.from({ length: size }, () =>
        store.check([check('ip', pick(ips)), check('user', pick(users))]),
      ),
    );
  }
  return calls;
}

async function scriptStats() {
  const text = await client.sendCommand(['INFO', 'commandstats']);
  const [, count = '0', usec = '0'] = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(text) ?? [];
  return { calls: Number(count), usec: Number(usec) };
}

/** Server µs per request of `script` over `calls`, replayed one at a time. */
async function replay(sha, calls, size) {
  const before = await scriptStats();
  for (const call of calls) await client.evalSha(sha, call);
  const after = await scriptStats();
  return (after.usec - before.usec) / (after.calls - before.calls) / size;
}

try {
  const sizes = [1, 16, 64];
  const recorded = new Map();
  for (const size of sizes)
    recorded.set(size, await recordCalls(size, Math.ceil(batches / size) * 16));
  const loaded = [];
  for (const stage of STAGES) loaded.push({ ...stage, sha: await client.scriptLoad(stage.script) });
  const floorSha = await client.scriptLoad(FLOOR_SCRIPT);

  // Three rounds, the stages interleaved, so a busy moment weighs on all of them.
  const micros = new Map();
  const floor = [];
  for (let round = 0; round < 3; round += 1) {
    for (const stage of loaded) {
      for (const size of sizes) {
        const key = `${stage.name}|${size}`;
        micros.set(key, [
          ...(micros.get(key) ?? []),
          await replay(stage.sha, recorded.get(size), size),
        ]);
      }
    }
    const floorCall = { keys: [`${prefix}floor`], arguments: [] };
    floor.push(
      await replay(
        floorSha,
        Array.from({ length: 2000 }, () => floorCall),
        1,
      ),
    );
  }

  console.log(`| stage | ${sizes.map((s) => `µs/request, ${s} per call`).join(' | ')} |`);
  console.log(`| --- | ${sizes.map(() => '---:').join(' | ')} |`);
  for (const { name } of loaded) {
    const cells = sizes.map((size) => median(micros.get(`${name}|${size}`)).toFixed(2));
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  console.log(`| the floor's script, \`INCR\` on one key | ${median(floor).toFixed(2)} | | |`);
} finally {
  await deleteKeys(client, prefix);
  await client.quit();
}
