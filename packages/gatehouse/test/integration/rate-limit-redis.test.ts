import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import {
  createMemoryRateLimitStore,
  createRedisRateLimitStore,
  type LimitCheck,
  type RateLimitStore,
  type RedisLike,
  type ScriptCall,
} from '../../src/rate-limit/index.js';
import { WINDOW_COUNT_BOUND, hashSlot } from '../../src/rate-limit/redis-scripts.js';
import { testRedis, type TestRedisClient } from '../support/redis.js';

const redis = testRedis('gh:rl');
const { prefix, connect } = redis;

type Client = TestRedisClient;
let admin: Client;
beforeAll(async () => {
  admin = await connect();
});
afterAll(() => redis.cleanup());

let keys = 0;
/** A check on a client key no other test uses. */
const fresh = (overrides: Partial<LimitCheck> = {}): LimitCheck => ({
  policy: 'ip',
  key: `ip4:192.0.2.${(keys += 1)}`,
  limit: 3,
  windowSeconds: 3600,
  cost: 1,
  algorithm: 'sliding-window',
  ...overrides,
});

// Windows of an hour keep these cases off the clock: crossing a window boundary mid-test weighs
// the previous window at ~100%, and the rounded-up estimate is then unchanged.
const behaviours: [string, (store: RateLimitStore) => Promise<void>][] = [
  [
    'admits up to the limit, counting down, then denies',
    async (store) => {
      for (const algorithm of ['sliding-window', 'sliding-log'] as const) {
        const limit = fresh({ algorithm });
        const states = [];
        for (let i = 0; i < 4; i++) states.push((await store.check([limit])).states[0]);
        expect(states.map((s) => [s?.allowed, s?.used, s?.remaining])).toEqual([
          [true, 1, 2],
          [true, 2, 1],
          [true, 3, 0],
          [false, 3, 0],
        ]);
        expect(states[3]?.resetSeconds).toBeGreaterThan(0);
        expect(states[3]?.resetSeconds).toBeLessThanOrEqual(2 * 3600);
      }
    },
  ],
  [
    'charges costs above 1, and never a denied request',
    async (store) => {
      for (const algorithm of ['sliding-window', 'sliding-log'] as const) {
        const limit = fresh({ algorithm, limit: 5 });
        expect((await store.check([{ ...limit, cost: 3 }])).states[0]?.used).toBe(3);
        expect((await store.check([{ ...limit, cost: 3 }])).allowed).toBe(false);
        expect((await store.check([{ ...limit, cost: 3 }])).allowed).toBe(false);
        expect((await store.check([{ ...limit, cost: 2 }])).states[0]).toMatchObject({
          allowed: true,
          used: 5,
        });
      }
    },
  ],
  [
    'charges a request only if every policy admits it',
    async (store) => {
      const client = `ip4:198.51.100.${(keys += 1)}`;
      const login = fresh({
        policy: 'auth-login',
        key: client,
        limit: 1,
        algorithm: 'sliding-log',
      });
      const ip = fresh({ key: client, limit: 10 });
      expect((await store.check([login])).allowed).toBe(true);

      const denied = await store.check([ip, login]);
      expect(denied.allowed).toBe(false);
      expect(denied.states[0]).toMatchObject({ allowed: true, used: 0, remaining: 10 });
      expect(denied.states[1]).toMatchObject({ allowed: false, used: 1, remaining: 0 });
      expect((await store.check([ip])).states[0]?.used).toBe(1);
    },
  ],
  [
    'counts a sliding log exactly over a short window',
    async (store) => {
      const log = fresh({ algorithm: 'sliding-log', limit: 2, windowSeconds: 1 });
      expect((await store.check([log])).allowed).toBe(true);
      expect((await store.check([log])).allowed).toBe(true);
      expect((await store.check([log])).states[0]).toMatchObject({
        allowed: false,
        resetSeconds: 1,
      });
      await sleep(1_050);
      expect((await store.check([log])).states[0]).toMatchObject({ allowed: true, used: 1 });
    },
  ],
  [
    'admits a request checked against no policy',
    async (store) => {
      expect(await store.check([])).toMatchObject({ allowed: true, states: [] });
    },
  ],
];

const backends: [string, () => Promise<RateLimitStore>][] = [
  ['memory', async () => createMemoryRateLimitStore()],
  ['redis', async () => createRedisRateLimitStore(await connect(), { prefix })],
];

describe.each(backends)('rate limiting on the %s store', (_name, create) => {
  let store: RateLimitStore;
  beforeAll(async () => {
    store = await create();
  });

  it.each(behaviours)('%s', async (_case, behaviour) => behaviour(store));
});

/** A client that records which command each script call went by. */
function recording(client: Client): RedisLike & { via: string[]; calls: ScriptCall[] } {
  const via: string[] = [];
  const calls: ScriptCall[] = [];
  return {
    via,
    calls,
    evalSha: (sha1, call) => {
      via.push('evalSha');
      calls.push(call);
      return client.evalSha(sha1, call);
    },
    eval: (script, call) => {
      via.push('eval');
      calls.push(call);
      return client.eval(script, call);
    },
  };
}

/** The windows a sliding-window counter has stored, by name: `<counter>:<window index>`. */
/** The counts a sliding-window counter holds, decoded as `CHECK_LIMITS` packs them. */
async function countsOf(counter: string) {
  const raw = await admin.get(counter);
  if (raw === null) return undefined;
  const packed = Number(raw);
  const counts = Math.floor(packed / 4);
  return {
    current: Math.floor(counts / WINDOW_COUNT_BOUND),
    previous: counts % WINDOW_COUNT_BOUND,
    window: packed % 4,
  };
}

/** A counter's value as `CHECK_LIMITS` packs it, for counts written in window `index`. */
const packed = (current: number, previous: number, index: number) =>
  `${(current * WINDOW_COUNT_BOUND + previous) * 4 + (index % 4)}`;

/** The server's clock and the index of its window of `seconds`. */
async function serverWindow(seconds: number) {
  const [s, micros] = await admin.time();
  const now = Number(s) * 1000 + Math.floor(Number(micros) / 1000);
  return { now, index: Math.floor(now / (seconds * 1000)) };
}

describe('the Redis rate-limit store', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(['sliding-window', 'sliding-log'] as const)(
    'admits exactly the limit of 200 concurrent %s requests from two instances',
    async (algorithm) => {
      const stores = [
        createRedisRateLimitStore(await connect(), { prefix }),
        createRedisRateLimitStore(await connect(), { prefix }),
      ];
      const limit = fresh({ algorithm, limit: 50 });

      const decisions = await Promise.all(
        Array.from({ length: 200 }, (_, i) => stores[i % 2]?.check([limit])),
      );
      expect(decisions.filter((decision) => decision?.allowed)).toHaveLength(50);

      const key = `${prefix}{${limit.key}}:ip:${algorithm === 'sliding-log' ? 'log' : 'w3600'}`;
      if (algorithm === 'sliding-log') expect(await admin.zCard(key)).toBe(50);
      else expect(await countsOf(key)).toMatchObject({ current: 50, previous: 0 });
    },
  );

  it('decides requests sharing one call in order, each charged only if it passes whole', async () => {
    const client = recording(await connect());
    const store = createRedisRateLimitStore(client, { prefix });
    const user = fresh({ policy: 'user', limit: 2 });
    const login = fresh({ policy: 'auth-login', limit: 1, algorithm: 'sliding-log' });
    await store.check([fresh()]); // loads the script if the server has not got it
    const calls = client.calls.length;

    const decisions = await Promise.all([
      store.check([user]),
      store.check([fresh(), user, login]),
      store.check([user]),
      store.check([user, login]),
      store.check([fresh({ key: user.key }), user]),
    ]);

    expect(client.calls.length - calls).toBe(1);
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, false, false]);
    expect(decisions[3]?.states.map((state) => state.allowed)).toEqual([false, false]);
    // The fifth request's ip counter shares the user's client key but was never charged.
    expect(decisions[4]?.states.map((s) => [s.allowed, s.used])).toEqual([
      [true, 0],
      [false, 2],
    ]);
    expect(await countsOf(`${prefix}{${user.key}}:user:w3600`)).toMatchObject({ current: 2 });
    expect(await admin.keys(`${prefix}{${user.key}}:ip:*`)).toEqual([]);
    expect(await admin.zCard(`${prefix}{${login.key}}:auth-login:log`)).toBe(1);
  });

  it("leaves a passing policy's counter untouched when another policy denies", async () => {
    const store = createRedisRateLimitStore(await connect(), { prefix });
    const client = `ip4:203.0.113.${(keys += 1)}`;
    const login = fresh({ policy: 'auth-login', key: client, limit: 1, algorithm: 'sliding-log' });
    const ip = fresh({ key: client, limit: 10 });
    await store.check([ip, login]);
    const before = await admin.get(`${prefix}{${client}}:ip:w3600`);

    expect((await store.check([ip, login])).allowed).toBe(false);
    expect(await countsOf(`${prefix}{${client}}:ip:w3600`)).toMatchObject({ current: 1 });
    expect(await admin.get(`${prefix}{${client}}:ip:w3600`)).toBe(before);
    expect(await admin.zCard(`${prefix}{${client}}:auth-login:log`)).toBe(1);
  });

  it('decides on the server clock, whatever the local clock says', async () => {
    const store = createRedisRateLimitStore(await connect(), { prefix });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 86_400_000);

    const decision = await store.check([fresh()]);
    const [seconds, micros] = await admin.time();
    const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    expect(Math.abs(decision.now - serverNow)).toBeLessThan(1_000);
    expect(Date.now() - decision.now).toBeGreaterThan(86_000_000);
  });

  it('expires counters once they no longer count', async () => {
    const store = createRedisRateLimitStore(await connect(), { prefix });
    const window = fresh({ windowSeconds: 60 });
    const log = fresh({ windowSeconds: 60, algorithm: 'sliding-log' });
    await store.check([window, log]);

    const windowTtl = await admin.pTTL(`${prefix}{${window.key}}:ip:w60`);
    expect(windowTtl).toBeGreaterThan(60_000);
    expect(windowTtl).toBeLessThanOrEqual(120_000);
    expect(await admin.pTTL(`${prefix}{${log.key}}:ip:log`)).toBeLessThanOrEqual(60_000);
  });

  it.each([
    ['the previous window: its current count becomes the previous one', -1, [5, 9], [1, 5, 0]],
    ['two windows back (expiry missed): nothing counts', -2, [5, 9], [1, 0, 0]],
    ['the next window (the clock stepped back): kept as they are', 1, [5, 0], [6, 0, 1]],
  ] as const)(
    'reads a counter last written in %s',
    async (_case, age, [current, previous], [afterCurrent, afterPrevious, writtenAge]) => {
      const store = createRedisRateLimitStore(await connect(), { prefix });
      const limit = fresh({ limit: 1_000 });
      const key = `${prefix}{${limit.key}}:ip:w3600`;
      let window = await serverWindow(3600);
      // Off the boundary, so that the window read here is the one the script sees.
      if (3_600_000 - (window.now % 3_600_000) < 2_000) {
        await sleep(2_100);
        window = await serverWindow(3600);
      }
      await admin.set(key, packed(current, previous, window.index + age), { PX: 3_600_000 });

      const [state] = (await store.check([limit])).states;
      // A previous count of 5 weighs at least 1 whatever the time within the window.
      expect(state?.allowed).toBe(true);
      if (age === -1) expect(state?.used).toBeGreaterThanOrEqual(2);
      else expect(state?.used).toBe(afterCurrent);
      expect(await countsOf(key)).toEqual({
        current: afterCurrent,
        previous: afterPrevious,
        window: (window.index + writtenAge) % 4,
      });
    },
  );

  it('runs the script again after SCRIPT FLUSH', async () => {
    const client = recording(await connect());
    const store = createRedisRateLimitStore(client, { prefix });
    const limit = fresh();
    await store.check([limit]);
    await store.check([limit]);

    await admin.scriptFlush();
    const decision = await store.check([limit]);
    expect(decision.states[0]).toMatchObject({ allowed: true, used: 3 });
    expect(client.via.slice(-2)).toEqual(['evalSha', 'eval']);
    await store.check([limit]);
    expect(client.via.at(-1)).toBe('evalSha');
  });

  it('in cluster mode, sends one call per slot and still decides every check', async () => {
    const client = recording(await connect());
    const store = createRedisRateLimitStore(client, { prefix, cluster: true });
    const checks = [fresh({ limit: 1 }), fresh({ limit: 1 }), fresh({ limit: 1 })];
    await store.check(checks);
    const calls = client.calls.length;

    const decision = await store.check(checks);
    expect(client.calls.length - calls).toBe(
      new Set(checks.map((c) => hashSlot(`{${c.key}}`))).size,
    );
    expect(decision.states.map((state) => state.allowed)).toEqual([false, false, false]);
    for (const { keys: callKeys } of client.calls) {
      expect(new Set(callKeys.map(hashSlot)).size).toBe(1);
    }
  });
});
