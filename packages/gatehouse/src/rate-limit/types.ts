/**
 * Vocabulary of the rate-limit layer: the checks a request asks for, and the decision a store
 * returns. A denial is a value here; only the HTTP edge turns it into a 429.
 * @module
 */

/**
 * How usage is counted. `sliding-window` keeps two counters per key and weighs the previous
 * window by the part of it still inside the sliding window, an estimate that never favours the
 * client; `sliding-log` keeps one timestamp per admitted unit and is exact, at a cost in memory
 * that grows with `limit`.
 */
export type RateLimitAlgorithm = 'sliding-window' | 'sliding-log';

/** One limit on one key: `limit` units per `windowSeconds`. */
export interface LimitCheck {
  /** Name of the policy, e.g. `'ip'`, `'user'`, `'auth-login'`; it names the counters too. */
  readonly policy: string;
  /** The client key, already bucketed by the caller, e.g. `'ip4:203.0.113.9'`, `'user:42'`. */
  readonly key: string;
  /** Units admitted per window; a positive integer. */
  readonly limit: number;
  /** Length of the window; a positive integer. */
  readonly windowSeconds: number;
  /** Units this request consumes; a positive integer, usually 1. */
  readonly cost: number;
  readonly algorithm: RateLimitAlgorithm;
}

/**
 * Where one policy stands after a check. `remaining` and `resetSeconds` are what the `r` and `t`
 * parameters of draft-ietf-httpapi-ratelimit-headers carry.
 */
export interface LimitState {
  readonly policy: string;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Whether this policy alone would admit the request. */
  readonly allowed: boolean;
  /** Usage after the request when it was admitted, else as it stands (nothing was charged). */
  readonly used: number;
  /** `max(0, limit - used)`. */
  readonly remaining: number;
  /**
   * Whole seconds, rounded up, assuming no further traffic. When this policy denied the request:
   * until its cost would fit again, what `Retry-After` needs (for a cost above the limit, which
   * never fits, until the quota is fully restored). Otherwise: until the quota is fully restored
   * (`remaining === limit`), the draft's meaning of reset.
   */
  readonly resetSeconds: number;
}

/** The outcome of one request's checks. */
export interface LimitDecision {
  /** True only when every policy admitted the request; only then was anything charged. */
  readonly allowed: boolean;
  /** One state per check, in the order of the checks. */
  readonly states: readonly LimitState[];
  /** The store's clock when it decided, in milliseconds since the epoch. */
  readonly now: number;
}

/** A store checks every policy of a request in one round trip and charges them only if all pass. */
export interface RateLimitStore {
  check(checks: readonly LimitCheck[]): Promise<LimitDecision>;
}
