import { describe, expect, it } from 'vitest';

import { createRateLimiter, type RatePolicy } from './limiter.js';
import { createMemoryRateLimitStore } from './memory-store.js';
import type { RateLimitStore } from './types.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

function setup(policies: Record<string, RatePolicy>, store?: RateLimitStore) {
  let now = START;
  const clock = () => now;
  const calls: number[] = [];
  const memory = createMemoryRateLimitStore({ clock });
  const counted: RateLimitStore = {
    check: (checks) => {
      calls.push(checks.length);
      return (store ?? memory).check(checks);
    },
  };
  const limiter = createRateLimiter({ store: counted, policies, clock });
  return { limiter, calls, advance: (ms: number) => (now += ms) };
}

const user = { userId: 'u-1', role: 'user' } as const;
const policies: Record<string, RatePolicy> = {
  ip: { limit: 100, windowSeconds: 60, by: 'ip' },
  user: { limit: 50, windowSeconds: 60, by: 'user' },
  login: { limit: 3, windowSeconds: 60, by: 'ip', algorithm: 'sliding-log' },
};

describe('the rate limiter', () => {
  it('checks the global and route policies in one store call', async () => {
    const { limiter, calls } = setup(policies);
    const verdict = await limiter.check('login', '203.0.113.9', undefined);

    expect(verdict.kind).toBe('allowed');
    expect(calls).toEqual([2]);
  });

  it('adds the per-user policy for authenticated requests only', async () => {
    const { limiter, calls } = setup(policies);
    await limiter.check('login', '203.0.113.9', user);
    expect(calls).toEqual([3]);
  });

  it('refuses with the violated policy and a Retry-After, and then from memory without a store call', async () => {
    const { limiter, calls } = setup(policies);
    for (let i = 0; i < 3; i += 1) await limiter.check('login', '203.0.113.9', undefined);

    const refused = await limiter.check('login', '203.0.113.9', undefined);
    expect(refused).toMatchObject({ kind: 'limited', policies: ['login'] });
    expect(refused.kind === 'limited' && refused.retryAfter).toBeGreaterThan(0);

    const before = calls.length;
    expect(limiter.knownBlocked('login', '203.0.113.9')?.kind).toBe('limited');
    expect(calls.length).toBe(before);
    expect(limiter.knownBlocked('login', '203.0.113.10')).toBeUndefined();
  });

  it('forgets a block once its reset has passed', async () => {
    const { limiter, advance } = setup(policies);
    for (let i = 0; i < 4; i += 1) await limiter.check('login', '203.0.113.9', undefined);

    advance(61_000);
    expect(limiter.knownBlocked('login', '203.0.113.9')).toBeUndefined();
    expect((await limiter.check('login', '203.0.113.9', undefined)).kind).toBe('allowed');
  });

  it('refuses at creation a policy no store can count', () => {
    const store = createMemoryRateLimitStore();
    for (const bad of [
      { limit: 0, windowSeconds: 60, by: 'ip' },
      { limit: 2 ** 25, windowSeconds: 60, by: 'ip' },
      { limit: 10, windowSeconds: 1.5, by: 'user' },
    ] as const) {
      expect(() => createRateLimiter({ store, policies: { ip: bad } })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });

  it('throws for a policy name that is not configured', async () => {
    const { limiter } = setup(policies);
    await expect(limiter.check('nope', '203.0.113.9', undefined)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
  });
});

describe('limits keyed by the handler', () => {
  it('charge a policy for a chosen key, apart from every other key', async () => {
    const { limiter } = setup(policies);
    const kinds = [];
    for (let i = 0; i < 4; i += 1)
      kinds.push((await limiter.checkKey('login', 'ann@example.test')).kind);

    expect(kinds).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
    expect((await limiter.checkKey('login', 'bob@example.test')).kind).toBe('allowed');
  });

  it('keep a key-limited client from sharing counters with the address-limited ones', async () => {
    const { limiter } = setup(policies);
    for (let i = 0; i < 3; i += 1) await limiter.checkKey('login', '203.0.113.9');
    expect((await limiter.check('login', '203.0.113.9', undefined)).kind).toBe('allowed');
  });
});

describe('when the store fails', () => {
  const broken: RateLimitStore = { check: () => Promise.reject(new Error('ECONNREFUSED')) };

  it('fails open for policies that say so, and reports them as degraded', async () => {
    const { limiter } = setup({ ip: policies.ip! }, broken);
    expect(await limiter.check('ip', '203.0.113.9', undefined)).toMatchObject({
      kind: 'allowed',
      degraded: ['ip'],
    });
  });

  it('fails closed for policies that say so', async () => {
    const closed = {
      ...policies,
      login: { ...policies.login!, onStoreFailure: 'closed' as const },
    };
    const { limiter } = setup(closed, broken);
    expect(await limiter.check('login', '203.0.113.9', undefined)).toEqual({
      kind: 'unavailable',
      policies: ['login'],
    });
  });

  it('counts in process for policies that fall back locally, still enforcing their limit', async () => {
    const local = {
      ip: policies.ip!,
      login: { ...policies.login!, onStoreFailure: 'local' as const },
    };
    const { limiter } = setup(local, broken);
    const kinds = [];
    for (let i = 0; i < 4; i += 1)
      kinds.push((await limiter.check('login', '203.0.113.9', undefined)).kind);
    expect(kinds).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
  });

  it('never waits on a store that does not answer', async () => {
    const hanging: RateLimitStore = { check: () => new Promise(() => undefined) };
    const { limiter } = setup({ ip: policies.ip! }, hanging);
    const started = Date.now();
    await limiter.check('ip', '203.0.113.9', undefined);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
