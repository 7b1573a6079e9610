import { describe, expect, it } from 'vitest';

import { CHECK_LIMITS, RULES_PER_CALL, WINDOW_COUNT_BOUND, hashSlot } from './redis-scripts.js';
import { createRedisRateLimitStore, type RedisLike, type ScriptCall } from './redis-store.js';
import type { LimitCheck } from './types.js';

// The integration suite runs the script on a real Redis; this records the calls themselves, to
// check what a single server cannot show: how a cluster client's calls are split by slot.
function recordingClient(): RedisLike & { calls: ScriptCall[]; flushed: boolean } {
  const calls: ScriptCall[] = [];
  // Every request admitted on empty counters: per check 0 (both counts, packed) for a window
  // and { 0, -1 } for a log.
  const reply = ({ arguments: args }: ScriptCall) => {
    const out = [1_700_000_000_000];
    const kinds = (x: number) => args[4 * (x % RULES_PER_CALL) - 2];
    const layout = JSON.parse(args[2 + 4 * Number(args[1])] ?? '[]') as number[];
    for (let at = 0; at < layout.length; at += 1 + (layout[at] ?? 0)) {
      const checks = layout.slice(at + 1, at + 1 + (layout[at] ?? 0)).map(kinds);
      out.push(1, ...checks.flatMap((kind) => (kind === 'l' ? [0, -1] : [0])));
    }
    return out;
  };
  const client = {
    calls,
    flushed: true,
    async evalSha(_sha1: string, call: ScriptCall) {
      if (client.flushed) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      calls.push(call);
      return reply(call);
    },
    async eval(script: string, call: ScriptCall) {
      expect(script).toBe(CHECK_LIMITS);
      client.flushed = false;
      calls.push(call);
      return reply(call);
    },
  };
  return client;
}

const check = (policy: string, key: string): LimitCheck => ({
  policy,
  key,
  limit: 10,
  windowSeconds: 60,
  cost: 1,
  algorithm: policy === 'auth-login' ? 'sliding-log' : 'sliding-window',
});

describe('createRedisRateLimitStore', () => {
  const checks = [
    check('ip', 'ip4:203.0.113.9'),
    check('user', 'user:42'),
    check('auth-login', 'ip4:203.0.113.9'),
  ];

  it('sends all the checks of a request in one call to a single server', async () => {
    const client = recordingClient();
    const decision = await createRedisRateLimitStore(client).check(checks);

    expect(client.calls).toHaveLength(1);
    expect(client.calls[0]?.keys).toEqual([
      'gh:rl:{ip4:203.0.113.9}:ip:w60',
      'gh:rl:{user:42}:user:w60',
      'gh:rl:{ip4:203.0.113.9}:auth-login:log',
    ]);
    expect(decision.states.map((state) => state.policy)).toEqual(['ip', 'user', 'auth-login']);
  });

  it('sends the requests waiting in one turn of the event loop in one call, each decided whole', async () => {
    const client = recordingClient();
    const store = createRedisRateLimitStore(client);
    const decisions = await Promise.all([
      store.check(checks),
      store.check([check('ip', 'ip4:203.0.113.9')]),
      store.check([check('user', 'user:7')]),
    ]);

    expect(client.calls).toHaveLength(1);
    // The counter of every check, in order.
    expect(client.calls[0]?.keys).toEqual([
      'gh:rl:{ip4:203.0.113.9}:ip:w60',
      'gh:rl:{user:42}:user:w60',
      'gh:rl:{ip4:203.0.113.9}:auth-login:log',
      'gh:rl:{ip4:203.0.113.9}:ip:w60',
      'gh:rl:{user:7}:user:w60',
    ]);
    // Each distinct rule once; then per request its checks, each as its rule's position plus
    // 1024 × the position of the counter's first check when it was checked before in the call.
    expect(client.calls[0]?.arguments.slice(1)).toEqual([
      '2',
      ...['w', '10', '60000', '1'],
      ...['l', '10', '60000', '1'],
      JSON.stringify([3, 1, 1, 2, 1, 1 + RULES_PER_CALL * 1, 1, 1]),
    ]);
    expect(decisions.map((d) => d.states.map((state) => state.policy))).toEqual([
      ['ip', 'user', 'auth-login'],
      ['ip'],
      ['user'],
    ]);
  });

  it('sends one call per turn, with batchSize requests or a quarter of the queue', async () => {
    const client = recordingClient();
    client.flushed = false;
    const store = createRedisRateLimitStore(client, { batchSize: 2 });
    const users = Array.from({ length: 12 }, (_, i) => `user:${i}`);
    await Promise.all(users.map((user) => store.check([check('user', user)])));

    // 12 waiting: 3 go (a quarter), then 3 of 9, then 2 at a time, oldest first.
    expect(client.calls.map((call) => call.keys.length)).toEqual([3, 3, 2, 2, 2]);
    expect(client.calls.flatMap((call) => call.keys)).toEqual(
      users.map((user) => `gh:rl:{${user}}:user:w60`),
    );
  });

  it('refuses a request with more checks than one call may carry', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => check('user', `user:${i}`));
    await expect(createRedisRateLimitStore(recordingClient()).check(many)).rejects.toMatchObject({
      code: 'ERR_RATE_LIMIT_INVALID',
    });
  });

  it('sends every request on its own when coalescing is off', async () => {
    const client = recordingClient();
    const store = createRedisRateLimitStore(client, { coalesce: false });
    await Promise.all([store.check(checks), store.check(checks)]);
    expect(client.calls).toHaveLength(2);
  });

  it('on a cluster, sends one call per slot and puts the states back in order', async () => {
    const client = recordingClient();
    const decision = await createRedisRateLimitStore(client, { cluster: true }).check(checks);

    expect(client.calls).toHaveLength(2);
    for (const { keys } of client.calls) expect(new Set(keys.map(hashSlot)).size).toBe(1);
    expect(decision.allowed).toBe(true);
    expect(decision.states.map((state) => state.policy)).toEqual(['ip', 'user', 'auth-login']);
  });

  it('falls back to EVAL once on NOSCRIPT, then runs by digest', async () => {
    const client = recordingClient();
    const store = createRedisRateLimitStore(client);
    await store.check(checks);
    await store.check(checks);
    expect(client.flushed).toBe(false);
    expect(client.calls).toHaveLength(2);
  });

  it('refuses a prefix with braces, and a key that would void its hash tag', async () => {
    const client = recordingClient();
    expect(() => createRedisRateLimitStore(client, { prefix: 'rl:{x}:' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
    await expect(
      createRedisRateLimitStore(client).check([check('ip', '}x')]),
    ).rejects.toMatchObject({ code: 'ERR_RATE_LIMIT_INVALID' });
  });

  it('treats a reply the arithmetic disagrees with as a store fault', async () => {
    const client: RedisLike = {
      evalSha: async () => [1_700_000_000_000, 1, 10 * WINDOW_COUNT_BOUND],
      eval: async () => [],
    };
    await expect(
      createRedisRateLimitStore(client).check([check('ip', 'ip4:203.0.113.9')]),
    ).rejects.toMatchObject({ code: 'ERR_RATE_LIMIT_STORE' });
  });
});
