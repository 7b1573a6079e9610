/**
 * What both stores share around the arithmetic: checking the checks they are given, and turning
 * a verdict into the state the caller sees.
 * @module
 */
import { GatehouseError } from '../errors.js';
import type { LimitCheck, LimitState } from './types.js';
import type { Rule, Verdict } from './window.js';

const ALGORITHMS: ReadonlySet<string> = new Set(['sliding-window', 'sliding-log']);

/**
 * Throws `ERR_RATE_LIMIT_INVALID` for a check that is not a positive-integer limit on a named
 * policy and key, or for a policy asked twice for the same key, which would be charged twice.
 * Limits and windows are bounded so that `limit × windowMs` stays a safe integer: the arithmetic
 * is exact only there, in JavaScript and in Lua alike.
 */
export function assertChecks(checks: readonly LimitCheck[]): void {
  if (!Array.isArray(checks)) invalid('the checks must be an array');
  const seen = new Set<string>();

  checks.forEach((check, i) => {
    const at = `rate-limit check #${i}`;
    if (typeof check.policy !== 'string' || check.policy === '') invalid(`${at}: empty policy`);
    if (typeof check.key !== 'string' || check.key === '') invalid(`${at}: empty key`);
    if (!ALGORITHMS.has(check.algorithm)) invalid(`${at}: unknown algorithm`);
    for (const field of ['limit', 'windowSeconds', 'cost'] as const) {
      const value = check[field];
      if (!Number.isSafeInteger(value) || value < 1) {
        invalid(`${at}: ${field} must be a positive integer`);
      }
    }
    if (!Number.isSafeInteger(check.limit * check.windowSeconds * 1000)) {
      invalid(`${at}: limit × window is too large to count exactly`);
    }

    // Length-prefixed, so no policy and key pair can spell another (and cheaper than JSON).
    const id = `${check.policy.length}:${check.policy}${check.key}`;
    if (seen.has(id)) invalid(`${at}: the same policy and key are checked twice`);
    seen.add(id);
  });
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
