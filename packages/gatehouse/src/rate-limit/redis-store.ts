/**
 * The rate-limit store on Redis (or Redis Cluster), shared by every instance of an app. One Lua
 * script decides all the checks of a request on the server's clock and charges them only if all
 * pass, so concurrent requests from any number of instances never overshoot a limit.
 * @module
 */
import type { RedisLike } from '../auth/sessions/redis-store.js';
import { GatehouseError } from '../errors.js';
import { assertChecks, reportedVerdict, ruleOf, stateOf } from './checks.js';
import { slidingLogVerdict } from './log.js';
import { CHECK_LIMITS, groupBySlot } from './redis-scripts.js';
import type { LimitCheck, LimitDecision, LimitState, RateLimitStore } from './types.js';
import { slidingWindowVerdict } from './window.js';

export type { RedisLike, ScriptCall } from '../auth/sessions/redis-store.js';

/** Options of the Redis rate-limit store. */
export interface RedisRateLimitStoreOptions {
  /** Prefix of every key the store writes; it may not hold `{` or `}`. @default 'gh:rl:' */
  readonly prefix?: string;
  /**
   * Set when the client is a Redis Cluster client: the checks are sent as one script call per
   * hash slot, in parallel. "Charged only if all pass" then holds within each slot, not across
   * them: a request denied by one client key's policies may still be charged on another key.
   * @default false
   */
  readonly cluster?: boolean;
}

interface SlotDecision extends LimitDecision {
  readonly states: LimitState[];
}

/**
 * Creates the Redis rate-limit store. Throws `ERR_CONFIG_INVALID` for a prefix with braces, which
 * would move the hash tag off the client key.
 *
 * @example
 * const client = createClient({ url: process.env.REDIS_URL });
 * await client.connect();
 * const limits = createRedisRateLimitStore(client);
 */
export function createRedisRateLimitStore(
  client: RedisLike,
  options: RedisRateLimitStoreOptions = {},
): RateLimitStore {
  const prefix = options.prefix ?? 'gh:rl:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'the rate-limit key prefix may not hold braces');
  }
  const counterKey = (check: LimitCheck) =>
    `${prefix}{${check.key}}:${check.policy}:${kind(check)}`;

  // Sorted-set members must be unique across calls and instances, or two units stamped in the
  // same millisecond would count as one.
  const instance = hex(crypto.getRandomValues(new Uint8Array(8)));
  let calls = 0;

  let digest: Promise<string> | undefined;
  // EVALSHA keeps the script off the wire; after a restart or SCRIPT FLUSH the server answers
  // NOSCRIPT, and EVAL both runs the script and caches it again.
  const run = async (keys: string[], args: string[]) => {
    const call = { keys, arguments: args };
    digest ??= sha1(CHECK_LIMITS);
    try {
      return await client.evalSha(await digest, call);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(CHECK_LIMITS, call);
    }
  };

  const decide = async (checks: readonly LimitCheck[]): Promise<SlotDecision> => {
    const args = [`${instance}:${(calls += 1).toString(36)}`];
    for (const check of checks) {
      args.push(kind(check), `${check.limit}`, `${check.windowSeconds * 1000}`, `${check.cost}`);
    }
    return readReply(await run(checks.map(counterKey), args), checks);
  };

  return {
    async check(checks) {
      assertChecks(checks);
      if (checks.some((check) => check.key.startsWith('}'))) {
        // `{}…}` is an empty hash tag, and Redis would hash the whole key name instead.
        throw new GatehouseError('ERR_RATE_LIMIT_INVALID', "a client key may not start with '}'");
      }
      // Nothing to count, so no round trip: the local clock stands in for the server's.
      if (checks.length === 0) return { allowed: true, states: [], now: Date.now() };
      if (options.cluster !== true) return decide(checks);

      const indexed = checks.map((check, index) => ({ key: check.key, check, index }));
      const groups = [...groupBySlot(indexed).values()];
      const results = await Promise.all(groups.map((group) => decide(group.map((g) => g.check))));

      const states: LimitState[] = [];
      results.forEach((result, g) => {
        groups[g]?.forEach(({ index }, i) => (states[index] = result.states[i] as LimitState));
      });
      return {
        allowed: results.every((result) => result.allowed),
        states,
        now: Math.min(...results.map((result) => result.now)),
      };
    },
  };
}

/** Turns the script's reply into states, with the same arithmetic as the memory store. */
function readReply(reply: unknown, checks: readonly LimitCheck[]): SlotDecision {
  if (!Array.isArray(reply) || reply.length !== 2 + 3 * checks.length) throw malformed();
  const numbers = reply.map((value: unknown) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw malformed();
    return value;
  });
  const [now = 0, all] = numbers;
  const charged = all === 1;

  const states = checks.map((check, i) => {
    const [admitted, a = 0, b = 0] = numbers.slice(2 + 3 * i, 5 + 3 * i);
    const verdictAt = (cost: number) =>
      check.algorithm === 'sliding-log'
        ? slidingLogVerdict(ruleOf(check, cost), now, a, b < 0 ? undefined : b)
        : slidingWindowVerdict(ruleOf(check, cost), now, { current: a, previous: b });

    const verdict = verdictAt(check.cost);
    if (verdict.allowed !== (admitted === 1)) throw malformed();
    return stateOf(
      check,
      reportedVerdict(charged, verdict, () => verdictAt(0)),
    );
  });

  if (charged !== states.every((state) => state.allowed)) throw malformed();
  return { allowed: charged, states, now };
}

/** The kind of counter, in key names and in the script's arguments. */
function kind(check: LimitCheck): 'log' | 'window' {
  return check.algorithm === 'sliding-log' ? 'log' : 'window';
}

function malformed(): GatehouseError {
  return new GatehouseError('ERR_RATE_LIMIT_STORE', 'Redis gave a malformed rate-limit reply');
}

async function sha1(script: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(script))));
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
