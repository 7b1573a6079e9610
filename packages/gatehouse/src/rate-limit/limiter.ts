import type { Principal } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import { createBreaker, type BreakerOptions } from './breaker.js';
import { assertChecks } from './checks.js';
import { ipBucket } from './client-key.js';
import { rateLimitHeaders } from './headers.js';
import { createMemoryRateLimitStore } from './memory-store.js';
import type { LimitCheck, LimitState, RateLimitAlgorithm, RateLimitStore } from './types.js';

/** One named limit: `limit` requests per `windowSeconds`, counted per client address or user. */
export interface RatePolicy {
  readonly limit: number;
  readonly windowSeconds: number;
  /** What the count is kept per; `user` counts anonymous requests per client address. */
  readonly by: 'ip' | 'user';
  /** @default 'sliding-window' (approximate, constant memory); 'sliding-log' is exact */
  readonly algorithm?: RateLimitAlgorithm;
  /**
   * When the store cannot answer in time: `open` admits the request (and logs), `closed` refuses
   * it with 503, `local` counts it in this process instead.
   * @default 'open'
   */
  readonly onStoreFailure?: 'open' | 'closed' | 'local';
}

export interface RateLimiterOptions {
  readonly store: RateLimitStore;
  readonly policies: Readonly<Record<string, RatePolicy>>;
  /** Policies applied to every request, in addition to the route's. @default ['ip', 'user'] */
  readonly global?: readonly string[];
  /** IPv6 addresses count per prefix of this length. @default 64 */
  readonly ipv6Prefix?: number;
  readonly breaker?: BreakerOptions;
  /** Clients remembered as blocked, to refuse them without a store call. @default 10_000 */
  readonly blockedCacheSize?: number;
  readonly clock?: () => number;
}

/** The answer for one request; the HTTP edge turns it into headers, a 429 or a 503. */
export type RateLimitVerdict =
  | { readonly kind: 'allowed'; readonly headers: [string, string][]; readonly degraded: string[] }
  | {
      readonly kind: 'limited';
      readonly headers: [string, string][];
      readonly retryAfter: number;
      readonly policies: string[];
    }
  | { readonly kind: 'unavailable'; readonly policies: string[] };

export type LimitedVerdict = Extract<RateLimitVerdict, { readonly kind: 'limited' }>;

export interface RateLimiter {
  /** A verdict from memory alone, before any signature check: clients known to be over a limit. */
  knownBlocked(routePolicy: string, clientIp: string | undefined): LimitedVerdict | undefined;
  /** Checks every applicable policy in one store round trip; charges them only if all pass. */
  check(
    routePolicy: string,
    clientIp: string | undefined,
    principal: Principal | undefined,
  ): Promise<RateLimitVerdict>;
  /**
   * Charges one policy for a key the caller chooses, such as the account a login names: for
   * limits that only the handler can key, after the body is read.
   */
  checkKey(policy: string, key: string): Promise<RateLimitVerdict>;
}

interface Blocked {
  readonly until: number;
  readonly state: LimitState;
}

/**
 * Creates the rate limiter over a store. Throws `ERR_CONFIG_INVALID` for a policy no store can
 * count (see `assertChecks`); unknown policy names throw when first used.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  assertPolicies(options.policies);
  const clock = options.clock ?? Date.now;
  const global = (options.global ?? ['ip', 'user']).filter((name) => name in options.policies);
  const breaker = createBreaker({ ...options.breaker, clock });
  const local = createMemoryRateLimitStore({ clock });
  const blocked = new Map<string, Blocked>();
  const blockedLimit = options.blockedCacheSize ?? 10_000;

  function policyOf(name: string): RatePolicy {
    const policy = options.policies[name];
    if (!policy) throw new GatehouseError('ERR_CONFIG_INVALID', `no rate-limit policy "${name}"`);
    return policy;
  }

  function checksFor(route: string, ip: string | undefined, principal: Principal | undefined) {
    const names = global.includes(route) ? global : [...global, route];
    const ipKey = ipBucket(ip, options.ipv6Prefix);
    return names.flatMap((name): LimitCheck[] => {
      const policy = policyOf(name);
      // The global per-user policy applies to authenticated traffic only.
      if (policy.by === 'user' && !principal && route !== name) return [];
      const key = policy.by === 'user' && principal ? `user:${principal.userId}` : ipKey;
      return [checkOf(name, policy, key)];
    });
  }

  function remember(checks: readonly LimitCheck[], states: readonly LimitState[], now: number) {
    for (const [index, state] of states.entries()) {
      const check = checks[index];
      if (state.allowed || !check) continue;
      if (blocked.size >= blockedLimit) blocked.delete(blocked.keys().next().value as string);
      blocked.set(check.key, { until: now + state.resetSeconds * 1000, state });
    }
  }

  function blockedBy(checks: readonly LimitCheck[]): LimitedVerdict | undefined {
    const now = clock();
    for (const check of checks) {
      const entry = blocked.get(check.key);
      if (!entry) continue;
      if (entry.until <= now) {
        blocked.delete(check.key);
        continue;
      }
      const resetSeconds = Math.ceil((entry.until - now) / 1000);
      return limited([{ ...entry.state, remaining: 0, resetSeconds }]);
    }
    return undefined;
  }

  function limited(states: readonly LimitState[]): LimitedVerdict {
    const denied = states.filter((state) => !state.allowed);
    return {
      kind: 'limited',
      headers: rateLimitHeaders(states),
      retryAfter: Math.max(...denied.map((state) => state.resetSeconds), 1),
      policies: denied.map((state) => state.policy),
    };
  }

  return {
    knownBlocked(route, ip) {
      return blockedBy(checksFor(route, ip, undefined));
    },

    async check(route, ip, principal) {
      return decide(checksFor(route, ip, principal));
    },

    async checkKey(name, key) {
      return decide([checkOf(name, policyOf(name), key)]);
    },
  };

  async function decide(checks: readonly LimitCheck[]): Promise<RateLimitVerdict> {
    if (checks.length === 0) return { kind: 'allowed', headers: [], degraded: [] };
    const known = blockedBy(checks);
    if (known) return known;

    try {
      const decision = await breaker.run(() => options.store.check(checks));
      remember(checks, decision.states, decision.now);
      if (!decision.allowed) return limited(decision.states);
      return { kind: 'allowed', headers: rateLimitHeaders(decision.states), degraded: [] };
    } catch {
      return fallBack(checks);
    }
  }

  async function fallBack(checks: readonly LimitCheck[]): Promise<RateLimitVerdict> {
    const modes = checks.map((check) => policyOf(check.policy).onStoreFailure ?? 'open');
    const closed = checks.filter((_, index) => modes[index] === 'closed');
    if (closed.length > 0) return { kind: 'unavailable', policies: closed.map((c) => c.policy) };

    const counted = checks.filter((_, index) => modes[index] === 'local');
    const degraded = checks.map((check) => check.policy);
    if (counted.length === 0) return { kind: 'allowed', headers: [], degraded };

    const decision = await local.check(counted);
    if (!decision.allowed) return limited(decision.states);
    return { kind: 'allowed', headers: rateLimitHeaders(decision.states), degraded };
  }
}

/** One unit charged to `policy` for `key`; counters are kept per policy and key. */
function checkOf(name: string, policy: RatePolicy, key: string): LimitCheck {
  return {
    policy: name,
    key: `${name}:${key}`,
    limit: policy.limit,
    windowSeconds: policy.windowSeconds,
    cost: 1,
    algorithm: policy.algorithm ?? 'sliding-window',
  };
}

function assertPolicies(policies: Readonly<Record<string, RatePolicy>>): void {
  try {
    assertChecks(
      Object.entries(policies).map(([name, policy]) => ({
        policy: name,
        key: 'policy',
        limit: policy.limit,
        windowSeconds: policy.windowSeconds,
        cost: 1,
        algorithm: policy.algorithm ?? 'sliding-window',
      })),
    );
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    throw new GatehouseError('ERR_CONFIG_INVALID', `rate-limit policies: ${error.message}`);
  }
}
