/**
 * Reading a decision for the response: which policy the `X-RateLimit-*` headers describe.
 * @module
 */
import { closestToExhaustion } from './headers.js';
import type { LimitDecision, LimitState } from './types.js';

/**
 * The state closest to exhaustion: the lowest `remaining`, and among equals the longest
 * `resetSeconds`, so a client that honours the headers waits long enough for every policy.
 * `undefined` when the request was checked against no policy.
 *
 * @example
 * const tightest = mostRestrictive(await limits.check(checks));
 * if (tightest) headers.set('x-ratelimit-remaining', String(tightest.remaining));
 */
export function mostRestrictive(decision: LimitDecision): LimitState | undefined {
  return decision.states.length === 0 ? undefined : closestToExhaustion(decision.states);
}
