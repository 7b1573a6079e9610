import { describe, expect, it } from 'vitest';

import {
  createMemoryReplayStore,
  createRedisReplayStore,
  type RedisReplayClient,
} from './replay.js';

const T0 = 1_750_000_000_000;

function frozenClock(start = T0) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe('createMemoryReplayStore', () => {
  it('accepts a pair once, and refuses it again until it expires (replay)', async () => {
    const clock = frozenClock();
    const store = createMemoryReplayStore({ now: clock.now });

    expect(await store.claim('svc-a', 'n1', 60_000)).toBe(true);
    expect(await store.claim('svc-a', 'n1', 60_000)).toBe(false);
    clock.advance(59_999);
    expect(await store.claim('svc-a', 'n1', 60_000)).toBe(false);
    clock.advance(1);
    expect(await store.claim('svc-a', 'n1', 60_000)).toBe(true);
  });

  it('keeps key ids apart, even when the parts could be joined alike', async () => {
    const store = createMemoryReplayStore();
    expect(await store.claim('svc-a', 'n1', 60_000)).toBe(true);
    expect(await store.claim('svc-b', 'n1', 60_000)).toBe(true);
    expect(await store.claim('a:b', 'c', 60_000)).toBe(true);
    expect(await store.claim('a', 'b:c', 60_000)).toBe(true);
  });

  it('when full of live nonces, rejects new claims instead of forgetting one (eviction replay)', async () => {
    const clock = frozenClock();
    const store = createMemoryReplayStore({ maxEntries: 3, now: clock.now });
    for (const nonce of ['n1', 'n2', 'n3'])
      expect(await store.claim('k', nonce, 60_000)).toBe(true);

    await expect(store.claim('k', 'n4', 60_000)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
    // The oldest nonce is still remembered: a flood of new ones cannot push it out.
    expect(await store.claim('k', 'n1', 60_000)).toBe(false);
    expect(store.size).toBe(3);
  });

  it('frees room as nonces expire, and stays within its bound', async () => {
    const clock = frozenClock();
    const store = createMemoryReplayStore({ maxEntries: 100, now: clock.now });
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) {
        expect(await store.claim('k', `r${round}-${i}`, 1000 + (i % 7) * 100)).toBe(true);
      }
      expect(store.size).toBeLessThanOrEqual(100);
      clock.advance(2000);
    }
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => createMemoryReplayStore({ maxEntries })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });
});

describe('createRedisReplayStore', () => {
  function fakeRedis() {
    const calls: unknown[][] = [];
    const keys = new Set<string>();
    const client: RedisReplayClient = {
      async set(key, value, options) {
        calls.push([key, value, options]);
        if (keys.has(key)) return null;
        keys.add(key);
        return 'OK';
      },
    };
    return { client, calls };
  }

  it('claims with SET NX PX under the prefix, true only when the key was set', async () => {
    const { client, calls } = fakeRedis();
    const store = createRedisReplayStore(client, { prefix: 'test:nonce:' });

    expect(await store.claim('svc a', 'n/1', 1500.2)).toBe(true);
    expect(await store.claim('svc a', 'n/1', 1500)).toBe(false);
    expect(calls[0]).toEqual([
      'test:nonce:svc%20a:n%2F1',
      '1',
      { condition: 'NX', expiration: { type: 'PX', value: 1501 } },
    ]);
  });

  it('lets a Redis failure reject, so the verifier refuses rather than accepts', async () => {
    const store = createRedisReplayStore({
      set: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    await expect(store.claim('k', 'n', 1000)).rejects.toThrow('ECONNREFUSED');
  });

  it('never sends a TTL below one millisecond', async () => {
    const { client, calls } = fakeRedis();
    await createRedisReplayStore(client).claim('k', 'n', -5);
    expect(calls[0]?.[2]).toEqual({ condition: 'NX', expiration: { type: 'PX', value: 1 } });
  });
});
