/**
 * Where the Redis store's script spends its time inside Redis: the server time per call
 * (`INFO commandstats`) of the store's `CHECK_LIMITS` and of altered copies of it, two window
 * checks per call as in the throughput benchmark. The copies are experiments, not proposals the
 * library has adopted. Needs Redis (REDIS_URL); keys under a prefix of its own, deleted at the end.
 *
 *   node bench/rate-limit/script-costs.mjs [--calls 20000]
 */
import { parseArgs } from 'node:util';

import { createClient } from 'redis';

// Not part of the package's exports: read from the build the benchmark times.
import { CHECK_LIMITS } from '../../packages/gatehouse/dist/rate-limit/redis-scripts.js';

import { median } from '../pipeline/measure.mjs';

import { deleteKeys, evalShaLoaded } from './throughput.mjs';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '20000' } } });
const calls = Number(args.calls);

/** Replaces `from` in `script`, and fails loudly when the store's script no longer holds it. */
function alter(script, from, to) {
  if (!script.includes(from)) throw new Error(`the script no longer holds: ${from}`);
  return script.replaceAll(from, to);
}

const conditional = alter(
  CHECK_LIMITS,
  `    redis.call('HINCRBY', KEYS[i], int(index), cost)
    redis.call('HDEL', KEYS[i], int(index - 2))
    redis.call('PEXPIREAT', KEYS[i], int((index + 2) * window))`,
  `    if redis.call('HINCRBY', KEYS[i], int(index), cost) == cost then
      redis.call('HDEL', KEYS[i], int(index - 2))
      redis.call('PEXPIREAT', KEYS[i], int((index + 2) * window))
    end`,
);

// The same script with every redis.call replaced by a call of an empty function (the reads by
// constant counts), so that what remains is the Lua work around the commands.
let noCalls = `local function nop() end${alter(CHECK_LIMITS, "redis.call('TIME')", "{ '1700000000', '123456' }")}`;
noCalls = alter(
  noCalls,
  "redis.call('HMGET', KEYS[i], int(index), int(index - 1))",
  "nop(KEYS[i], int(index), int(index - 1)) or { '5', '7' }",
);
for (const command of ['HINCRBY', 'HDEL', 'PEXPIREAT']) {
  noCalls = alter(noCalls, `redis.call('${command}'`, `nop('${command}'`);
}

const SCRIPTS = [
  { name: 'CHECK_LIMITS, as in the store', script: CHECK_LIMITS },
  {
    name: 'its 9 redis.call only, no arithmetic',
    script: `
redis.call('TIME')
for i = 1, #KEYS do redis.call('HMGET', KEYS[i], '28333334', '28333333') end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], '28333334', 1)
  redis.call('HDEL', KEYS[i], '28333332')
  redis.call('PEXPIREAT', KEYS[i], '1700000160000')
end
return { 1700000040000, 1, 1, 5, 7, 1, 5, 7 }`,
  },
  { name: 'its Lua work only, each redis.call → an empty function', script: noCalls },
  { name: 'HDEL + PEXPIREAT on a window’s first charge only', script: conditional },
  {
    name: 'the same, numbers instead of string.format',
    script: alter(
      conditional,
      "local function int(n) return string.format('%d', n) end",
      'local function int(n) return n end',
    ),
  },
  { name: 'return 1 (no redis.call)', script: 'return 1' },
  { name: "1 × redis.call('TIME')", script: "redis.call('TIME') return 1" },
  { name: "9 × redis.call('TIME')", script: "for i = 1, 9 do redis.call('TIME') end return 1" },
  {
    name: "floor: redis.call('INCR', KEYS[1]), one key",
    script: "return redis.call('INCR', KEYS[1])",
    floor: true,
  },
];

const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
await client.connect();
const prefix = `ghbench:rl-script:${process.pid}-${Date.now().toString(36)}:`;
const keysOf = (n) => [
  `${prefix}{ip4:10.0.${(n >> 8) & 3}.${n & 255}}:ip:window`,
  `${prefix}{user:${(n * 7) % 1000}}:user:window`,
];
const ARGS = ['nonce', 'window', '1000000000', '60000', '1', 'window', '1000000000', '60000', '1'];

async function scriptStats() {
  const text = await client.sendCommand(['INFO', 'commandstats']);
  const [, count = '0', usec = '0'] = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(text) ?? [];
  return { calls: Number(count), usec: Number(usec) };
}

/** `count` calls with 64 pending, on keys from 1,024 addresses and 1,000 users (floor: one key). */
async function drive(entry, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const keys = entry.floor ? [`${prefix}floor`] : keysOf(n);
      await evalShaLoaded(client, entry, { keys, arguments: [`${n}`, ...ARGS.slice(1)] });
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
}

try {
  const loaded = [];
  for (const entry of SCRIPTS) {
    const script = { ...entry, sha: await client.scriptLoad(entry.script), micros: [] };
    await drive(script, Math.min(calls, 5000));
    loaded.push(script);
  }
  // Three rounds, the scripts interleaved, so a busy moment weighs on all of them.
  for (let round = 0; round < 3; round += 1) {
    for (const entry of loaded) {
      const before = await scriptStats();
      await drive(entry, calls);
      const after = await scriptStats();
      entry.micros.push((after.usec - before.usec) / (after.calls - before.calls));
    }
  }
  console.log('| script | µs per call in Redis (median) | rounds |');
  console.log('| --- | ---: | --- |');
  for (const { name, micros } of loaded) {
    console.log(
      `| ${name} | ${median(micros).toFixed(1)} | ${micros.map((m) => m.toFixed(1)).join(', ')} |`,
    );
  }
} finally {
  await deleteKeys(client, prefix);
  await client.quit();
}
