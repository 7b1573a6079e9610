/**
 * What both stores share around the arithmetic: checking the checks they are given, and turning
 * a verdict into the state the caller sees.
 * @module
 */
import { GatehouseError } from '../errors.js';
import { WINDOW_COUNT_BOUND } from './redis-scripts.js';
import type { LimitCheck, LimitState } from './types.js';
import type { Rule, Verdict } from './window.js';

const ALGORITHMS: ReadonlySet<string> = new Set(['sliding-window', 'sliding-log']);

/**
 * The largest limit of a sliding window: the Redis store keeps both counts of a window in one
 * integer, each below 2^25.
 */
export const WINDOW_LIMIT_MAX = WINDOW_COUNT_BOUND - 1;

/** Checks compared pairwise for repeats; more go through a set. */
const PAIRWISE = 16;

/**
 * Throws `ERR_RATE_LIMIT_INVALID` for a check that is not a positive-integer limit on a named
 * policy and key, or for a policy asked twice for the same key, which would be charged twice.
 * Limits and windows are bounded so that `limit × windowMs` stays a safe integer: the arithmetic
 * is exact only there, in JavaScript and in Lua alike. It runs on every request, so it builds
 * nothing unless a check is refused.
 */
export function assertChecks(checks: readonly LimitCheck[]): void {
  if (!Array.isArray(checks)) invalid('the checks must be an array');
  const seen = checks.length > PAIRWISE ? new Set<string>() : undefined;

  for (let i = 0; i < checks.length; i++) {
    const check = checks[i] as LimitCheck;
    const { policy, key, limit, windowSeconds, cost } = check;
    if (typeof policy !== 'string' || policy === '')
      invalid(`rate-limit check #${i}: empty policy`);
    if (typeof key !== 'string' || key === '') invalid(`rate-limit check #${i}: empty key`);
    if (!ALGORITHMS.has(check.algorithm)) invalid(`rate-limit check #${i}: unknown algorithm`);
    positive(limit, i, 'limit');
    positive(windowSeconds, i, 'windowSeconds');
    positive(cost, i, 'cost');
    if (check.algorithm === 'sliding-window' && limit > WINDOW_LIMIT_MAX) {
      invalid(
        `rate-limit check #${i}: a sliding window's limit may not exceed ${WINDOW_LIMIT_MAX}`,
      );
    }
    if (!Number.isSafeInteger(limit * windowSeconds * 1000)) {
      invalid(`rate-limit check #${i}: limit × window is too large to count exactly`);
    }

    let repeated = false;
    if (seen === undefined) {
      for (let j = 0; j < i && !repeated; j++) {
        const other = checks[j] as LimitCheck;
        repeated = other.policy === policy && other.key === key;
      }
    } else {
      // Length-prefixed, so no policy and key pair can spell another.
      const id = `${policy.length}:${policy}${key}`;
      repeated = seen.has(id);
      seen.add(id);
    }
    if (repeated) invalid(`rate-limit check #${i}: the same policy and key are checked twice`);
  }
}

function positive(value: number, i: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    invalid(`rate-limit check #${i}: ${field} must be a positive integer`);
  }
}

/** The arithmetic's view of a check, at its own cost or another. */
export function ruleOf(check: LimitCheck, cost = check.cost): Rule {
  return { limit: check.limit, windowMs: check.windowSeconds * 1000, cost };
}

/**
 * The verdict a policy reports. When another policy denied the request nothing was charged, so
 * a policy that would have admitted it reports its usage as it stands (its verdict at cost 0),
 * still marked as admitting.
 */
export function reportedVerdict(charged: boolean, verdict: Verdict, standing: () => Verdict) {
  return charged || !verdict.allowed ? verdict : standing();
}

/** The state reported for a check; seconds are rounded up, so waiting them out is enough. */
export function stateOf(check: LimitCheck, verdict: Verdict): LimitState {
  return {
    policy: check.policy,
    limit: check.limit,
    windowSeconds: check.windowSeconds,
    allowed: verdict.allowed,
    used: verdict.used,
    remaining: Math.max(0, check.limit - verdict.used),
    resetSeconds: Math.ceil(verdict.resetMs / 1000),
  };
}

function invalid(message: string): never {
  throw new GatehouseError('ERR_RATE_LIMIT_INVALID', message);
}
