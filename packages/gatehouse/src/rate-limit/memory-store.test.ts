import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { createMemoryRateLimitStore } from './memory-store.js';
import type { LimitCheck, RateLimitAlgorithm } from './types.js';

const SECOND = 1000;
const START = 1_700_000_040_000; // a minute boundary

function frozenStore(maxKeys?: number) {
  let now = START;
  const store = createMemoryRateLimitStore({
    clock: () => now,
    ...(maxKeys === undefined ? {} : { maxKeys }),
  });
  return { store, at: (ms: number) => (now = START + ms) };
}

const check = (overrides: Partial<LimitCheck> = {}): LimitCheck => ({
  policy: 'ip',
  key: 'ip4:203.0.113.9',
  limit: 3,
  windowSeconds: 60,
  cost: 1,
  algorithm: 'sliding-window',
  ...overrides,
});

describe('the memory store', () => {
  it('admits up to the limit, then denies without charging', async () => {
    const { store } = frozenStore();
    const allowed = [];
    for (let i = 0; i < 5; i++) allowed.push((await store.check([check()])).allowed);
    expect(allowed).toEqual([true, true, true, false, false]);

    const { states } = await store.check([check()]);
    expect(states).toEqual([
      {
        policy: 'ip',
        limit: 3,
        windowSeconds: 60,
        allowed: false,
        used: 3,
        remaining: 0,
        resetSeconds: 80, // 2 of the 3 units weigh by 20 s into the next window
      },
    ]);
  });

  it('charges a request only if every policy admits it', async () => {
    const { store } = frozenStore();
    const login = check({ policy: 'auth-login', limit: 1, algorithm: 'sliding-log' });
    const ip = check({ limit: 10 });
    expect((await store.check([ip, login])).allowed).toBe(true);

    const denied = await store.check([ip, login]);
    expect(denied.allowed).toBe(false);
    // The ip policy would have admitted it, and reports its usage as it stands: still 1.
    expect(denied.states[0]).toMatchObject({ allowed: true, used: 1, remaining: 9 });
    expect(denied.states[1]).toMatchObject({ allowed: false, used: 1, resetSeconds: 60 });
    expect((await store.check([ip])).states[0]?.used).toBe(2);
  });

  it('decays the previous window: at its start fully, halfway through by half', async () => {
    const { store, at } = frozenStore();
    await store.check([check({ limit: 4, cost: 4 })]);

    at(60 * SECOND);
    expect((await store.check([check({ limit: 4 })])).allowed).toBe(false);
    at(90 * SECOND);
    const { states } = await store.check([check({ limit: 4, cost: 2 })]);
    expect(states[0]).toMatchObject({ allowed: true, used: 4, remaining: 0 });
  });

  it('counts a sliding log exactly, freeing each unit one window after its admission', async () => {
    const { store, at } = frozenStore();
    const log = check({ algorithm: 'sliding-log', windowSeconds: 10 });
    for (const ms of [0, 1_000, 2_000]) {
      at(ms);
      expect((await store.check([log])).allowed).toBe(true);
    }

    at(5_500);
    expect((await store.check([log])).states[0]).toMatchObject({ allowed: false, resetSeconds: 5 });
    at(9_999);
    expect((await store.check([log])).allowed).toBe(false);
    at(10_000);
    expect((await store.check([log])).allowed).toBe(true);
    expect((await store.check([check({ ...log, cost: 2 })])).states[0]).toMatchObject({
      allowed: false,
      used: 3,
      resetSeconds: 2, // the entries of 1 s and 2 s must both leave
    });
  });

  it('refuses malformed checks with a code', async () => {
    const { store } = frozenStore();
    const bad = [
      check({ limit: 0 }),
      check({ cost: 1.5 }),
      check({ key: '' }),
      check({ algorithm: 'token-bucket' as RateLimitAlgorithm }),
      check({ limit: 2 ** 40, windowSeconds: 86_400 }),
      check({ limit: 2 ** 25, windowSeconds: 1 }), // above what a packed Redis counter holds
    ];
    for (const one of bad) {
      await expect(store.check([one])).rejects.toMatchObject({ code: 'ERR_RATE_LIMIT_INVALID' });
    }
    await expect(store.check([check(), check()])).rejects.toBeInstanceOf(GatehouseError);
    expect(() => createMemoryRateLimitStore({ maxKeys: 0 })).toThrow(GatehouseError);
  });

  it('evicts the least recently used counter when full', async () => {
    const { store } = frozenStore(2);
    const a = check({ key: 'a', limit: 1 });
    const b = check({ key: 'b', limit: 1 });
    await store.check([a]);
    await store.check([b]);
    await store.check([a]); // denied, but a use: a is now the most recent
    await store.check([check({ key: 'c', limit: 1 })]);

    expect(store.size).toBe(2);
    expect((await store.check([a])).allowed).toBe(false);
    expect((await store.check([b])).allowed).toBe(true);
  });
});

describe('the memory store under random histories', () => {
  const history = fc.record({
    algorithm: fc.constantFrom<RateLimitAlgorithm>('sliding-window', 'sliding-log'),
    limit: fc.integer({ min: 1, max: 12 }),
    windowSeconds: fc.integer({ min: 1, max: 5 }),
    requests: fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), cost: fc.integer({ min: 1, max: 4 }) }),
      { maxLength: 60 },
    ),
  });

  it('never estimates below the exact usage, so rounding never favours the client', async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ algorithm, limit, windowSeconds, requests }) => {
        const { store, at } = frozenStore();
        const W = windowSeconds * SECOND;
        const admitted: { time: number; cost: number }[] = [];
        let now = START;

        for (const { gap, cost } of requests) {
          now += gap;
          at(now - START);
          const [state] = (await store.check([check({ algorithm, limit, windowSeconds, cost })]))
            .states;
          if (state === undefined) throw new Error('no state');
          const estimate = state.allowed ? state.used - cost : state.used;

          // Exact usage, scaled by W to stay in whole numbers.
          let exactTimesW = 0;
          const index = Math.floor(now / W);
          for (const unit of admitted) {
            const unitIndex = Math.floor(unit.time / W);
            if (algorithm === 'sliding-log') {
              if (unit.time > now - W) exactTimesW += unit.cost * W;
            } else if (unitIndex === index) exactTimesW += unit.cost * W;
            else if (unitIndex === index - 1) exactTimesW += unit.cost * (W - (now - index * W));
          }
          expect(estimate * W).toBeGreaterThanOrEqual(exactTimesW);
          if (algorithm === 'sliding-log') expect(estimate * W).toBe(exactTimesW);
          if (exactTimesW + cost * W > limit * W) expect(state.allowed).toBe(false);
          if (state.allowed) admitted.push({ time: now, cost });
        }
      }),
    );
  });
});

// The heap is measured after a full collection, so only what the store keeps counts. V8 exposes
// `gc` to code compiled after the flag is set, hence the fresh context.
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('the memory bound', () => {
  it('holds at most maxKeys counters in bounded memory under a 1,000,000-key spray', async () => {
    const gc = collector();
    const store = createMemoryRateLimitStore();
    gc();
    const before = process.memoryUsage().heapUsed;

    for (let i = 0; i < 1_000_000; i++) {
      const algorithm = i % 2 === 0 ? 'sliding-window' : 'sliding-log';
      await store.check([check({ key: `ip4:${i}`, limit: 100, algorithm })]);
    }
    expect(store.size).toBe(100_000);

    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
