import { describe, expect, it } from 'vitest';

import { createBreaker, StoreUnavailableError } from './breaker.js';

function fakeClock() {
  let now = 1_000_000;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}
const fail = () => Promise.reject(new Error('ECONNREFUSED'));
const succeed = () => Promise.resolve('ok');

describe('the store circuit breaker', () => {
  it('opens after consecutive failures and then fails fast without calling the store', async () => {
    const { clock } = fakeClock();
    const breaker = createBreaker({ failures: 3, clock });
    for (let i = 0; i < 3; i += 1) await expect(breaker.run(fail)).rejects.toThrow('ECONNREFUSED');

    let called = false;
    const call = () => {
      called = true;
      return succeed();
    };
    await expect(breaker.run(call)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(called).toBe(false);
    expect(breaker.state).toBe('open');
  });

  it('lets one trial through after the cooldown, and closes when it succeeds', async () => {
    const { clock, advance } = fakeClock();
    const breaker = createBreaker({ failures: 1, cooldownMs: 5_000, clock });
    await expect(breaker.run(fail)).rejects.toThrow();

    advance(5_000);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.run(succeed)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('opens again at once when the trial fails', async () => {
    const { clock, advance } = fakeClock();
    const breaker = createBreaker({ failures: 3, cooldownMs: 1_000, clock });
    for (let i = 0; i < 3; i += 1) await expect(breaker.run(fail)).rejects.toThrow();

    advance(1_000);
    await expect(breaker.run(fail)).rejects.toThrow('ECONNREFUSED');
    expect(breaker.state).toBe('open');
  });

  it('counts a call slower than the timeout as failed, so no request hangs on the store', async () => {
    const breaker = createBreaker({ timeoutMs: 20 });
    const never = () => new Promise<string>(() => undefined);
    const started = Date.now();

    await expect(breaker.run(never)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('resets the failure count after a success', async () => {
    const { clock } = fakeClock();
    const breaker = createBreaker({ failures: 2, clock });
    await expect(breaker.run(fail)).rejects.toThrow();
    await breaker.run(succeed);
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });
});
