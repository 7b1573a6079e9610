import { describe, expect, it } from 'vitest';

import { CHECK_LIMITS, hashSlot } from './redis-scripts.js';
import { createRedisRateLimitStore, type RedisLike, type ScriptCall } from './redis-store.js';
import type { LimitCheck } from './types.js';

// The integration suite runs the script on a real Redis; this records the calls themselves, to
// check what a single server cannot show: how a cluster client's calls are split by slot.
function recordingClient(): RedisLike & { calls: ScriptCall[]; flushed: boolean } {
  const calls: ScriptCall[] = [];
  // Every check admitted on empty counters: { admitted, a, b } = { 1, 0, -1 }.
  const reply = ({ keys }: ScriptCall) => [1_700_000_000_000, 1, ...keys.flatMap(() => [1, 0, -1])];
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
      'gh:rl:{ip4:203.0.113.9}:ip:window',
      'gh:rl:{user:42}:user:window',
      'gh:rl:{ip4:203.0.113.9}:auth-login:log',
    ]);
    expect(decision.states.map((state) => state.policy)).toEqual(['ip', 'user', 'auth-login']);
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
      evalSha: async () => [1_700_000_000_000, 1, 1, 10, 0],
      eval: async () => [],
    };
    await expect(
      createRedisRateLimitStore(client).check([check('ip', 'ip4:203.0.113.9')]),
    ).rejects.toMatchObject({ code: 'ERR_RATE_LIMIT_STORE' });
  });
});
