import type { Clock } from '../auth/types.js';

/**
 * A circuit breaker around the rate-limit store. After `failures` consecutive failures it opens:
 * calls fail at once, without touching the store, for `cooldownMs`; then one trial call is let
 * through, and its success closes the breaker again. A dead Redis is not hammered, and recovery
 * needs nobody.
 */
export interface Breaker {
  run<T>(call: () => Promise<T>): Promise<T>;
  readonly state: 'closed' | 'open' | 'half-open';
}

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  readonly failures?: number;
  /** How long it stays open. @default 5000 */
  readonly cooldownMs?: number;
  /** Longest a store call may take before it counts as failed. @default 500 */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
}

/** Creates a breaker; every call through it is bounded by `timeoutMs`. */
export function createBreaker(options: BreakerOptions = {}): Breaker {
  const limit = options.failures ?? 5;
  const cooldownMs = options.cooldownMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 500;
  const clock = options.clock ?? Date.now;

  let consecutive = 0;
  let openedAt: number | undefined;
  let trialRunning = false;

  const state = (): Breaker['state'] => {
    if (openedAt === undefined) return 'closed';
    return clock() - openedAt >= cooldownMs ? 'half-open' : 'open';
  };

  return {
    get state() {
      return state();
    },

    async run(call) {
      const current = state();
      if (current === 'open' || (current === 'half-open' && trialRunning)) {
        throw new StoreUnavailableError('the rate-limit store is unavailable (breaker open)');
      }

      trialRunning = current === 'half-open';
      try {
        const result = await withTimeout(call(), timeoutMs);
        consecutive = 0;
        openedAt = undefined;
        return result;
      } catch (error) {
        consecutive += 1;
        if (current === 'half-open' || consecutive >= limit) openedAt = clock();
        throw error;
      } finally {
        trialRunning = false;
      }
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
