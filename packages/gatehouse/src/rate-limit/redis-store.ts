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
  /**
   * Checks of requests made in the same turn of the event loop share one script call (per hash
   * slot on a cluster), decided in the order they were made. Each request is still decided and
   * charged as a whole; sharing only saves round trips. `false` sends every request on its own.
   * @default true
   */
  readonly coalesce?: boolean;
  /**
   * Most requests one script call decides. Several smaller calls in flight let Redis work on one
   * while this process reads the answer to another; one call per request costs a round trip each.
   * @default 16
   */
  readonly batchSize?: number;
}

interface SlotDecision extends LimitDecision {
  readonly states: LimitState[];
}

/** The checks of one request on one hash slot, waiting for their script call. */
interface Part {
  readonly checks: readonly LimitCheck[];
  resolve(decision: SlotDecision): void;
  reject(error: unknown): void;
}

/** Checks per script call at most, well inside what Lua's `unpack` takes. */
const CHECKS_PER_CALL = 1_000;

const nextTurn: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

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
    check.algorithm === 'sliding-log'
      ? `${prefix}{${check.key}}:${check.policy}:log`
      : `${prefix}{${check.key}}:${check.policy}:w${check.windowSeconds}`;

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

  /** One script call deciding `parts` in order; settles every part. */
  const send = async (parts: readonly Part[]) => {
    try {
      const { keys, args } = callFor(parts, counterKey);
      args[0] = `${instance}:${(calls += 1).toString(36)}`;
      const decisions = readReply(await run(keys, args), parts);
      parts.forEach((part, i) => part.resolve(decisions[i] as SlotDecision));
    } catch (error) {
      for (const part of parts) part.reject(error);
    }
  };

  const batchSize = options.batchSize ?? 16;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'the batch size must be a positive integer');
  }
  const queues = new Map<number, Part[]>();
  let flushing = false;
  const flush = () => {
    flushing = false;
    const waiting = [...queues.values()];
    queues.clear();
    for (const parts of waiting) {
      let call: Part[] = [];
      let size = 0;
      for (const part of parts) {
        const full = call.length >= batchSize || size + part.checks.length > CHECKS_PER_CALL;
        if (full && call.length > 0) {
          void send(call);
          call = [];
          size = 0;
        }
        call.push(part);
        size += part.checks.length;
      }
      void send(call);
    }
  };

  const decide = (slot: number, checks: readonly LimitCheck[]) =>
    new Promise<SlotDecision>((resolve, reject) => {
      const part = { checks, resolve, reject };
      if (options.coalesce === false) return void send([part]);
      const queue = queues.get(slot);
      if (queue) queue.push(part);
      else queues.set(slot, [part]);
      if (!flushing) {
        flushing = true;
        nextTurn(flush);
      }
    });

  return {
    async check(checks) {
      assertChecks(checks);
      if (checks.some((check) => check.key.startsWith('}'))) {
        // `{}…}` is an empty hash tag, and Redis would hash the whole key name instead.
        throw new GatehouseError('ERR_RATE_LIMIT_INVALID', "a client key may not start with '}'");
      }
      // Nothing to count, so no round trip: the local clock stands in for the server's.
      if (checks.length === 0) return { allowed: true, states: [], now: Date.now() };
      if (options.cluster !== true) return decide(0, checks);

      const indexed = checks.map((check, index) => ({ key: check.key, check, index }));
      const groups = [...groupBySlot(indexed)];
      const results = await Promise.all(
        groups.map(([slot, group]) =>
          decide(
            slot,
            group.map((g) => g.check),
          ),
        ),
      );

      const states: LimitState[] = [];
      results.forEach((result, g) => {
        groups[g]?.[1].forEach(({ index }, i) => (states[index] = result.states[i] as LimitState));
      });
      return {
        allowed: results.every((result) => result.allowed),
        states,
        now: Math.min(...results.map((result) => result.now)),
      };
    },
  };
}

/**
 * The keys and arguments of one script call (see `CHECK_LIMITS`): each distinct counter once,
 * window counters first, and each distinct rule once. `args[0]`, the call's nonce, is left for
 * the caller.
 */
function callFor(parts: readonly Part[], counterKey: (check: LimitCheck) => string) {
  const windows = new Map<string, number>();
  const logs = new Map<string, number>();
  const rules = new Map<string, number>();
  const ruleArgs: string[] = [];
  const windowRules: string[] = [];
  const refs = parts.map((part) =>
    part.checks.map((check) => {
      const log = check.algorithm === 'sliding-log';
      const rule = [log ? 'l' : 'w', `${check.limit}`, `${check.windowSeconds * 1000}`];
      rule.push(`${check.cost}`);
      const id = rule.join(' ');
      let ruleAt = rules.get(id);
      if (ruleAt === undefined) {
        rules.set(id, (ruleAt = rules.size + 1));
        ruleArgs.push(...rule);
      }

      const key = counterKey(check);
      const counters = log ? logs : windows;
      let position = counters.get(key);
      if (position === undefined) {
        counters.set(key, (position = counters.size));
        if (!log) windowRules.push(`${ruleAt}`);
      }
      return { log, position, ruleAt };
    }),
  );

  const keys = [...windows.keys(), ...logs.keys()];
  const args = ['', `${windows.size}`, `${rules.size}`, ...ruleArgs, ...windowRules];
  for (const checks of refs) {
    args.push(`${checks.length}`);
    for (const { log, position, ruleAt } of checks) {
      args.push(`${(log ? windows.size : 0) + position + 1}`, `${ruleAt}`);
    }
  }
  return { keys, args };
}

/** Turns the script's reply into one decision per part, with the memory store's arithmetic. */
function readReply(reply: unknown, parts: readonly Part[]): SlotDecision[] {
  const expected = parts.reduce((sum, part) => sum + 1 + 2 * part.checks.length, 1);
  if (!Array.isArray(reply) || reply.length !== expected) throw malformed();
  for (const value of reply) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw malformed();
  }
  const numbers = reply as number[];
  const now = numbers[0] as number;
  let at = 1;
  return parts.map((part) => {
    const decision = readDecision(numbers, at, part.checks, now);
    at += 1 + 2 * part.checks.length;
    return decision;
  });
}

/**
 * One request's decision from the reply, starting at `at`. The script charged the request when
 * every check admitted it; the verdicts recomputed here must agree.
 */
function readDecision(
  numbers: readonly number[],
  at: number,
  checks: readonly LimitCheck[],
  now: number,
): SlotDecision {
  const charged = numbers[at] === 1;
  const states = checks.map((check, i) => {
    const a = numbers[at + 1 + 2 * i] as number;
    const b = numbers[at + 2 + 2 * i] as number;
    const verdictAt = (cost: number) =>
      check.algorithm === 'sliding-log'
        ? slidingLogVerdict(ruleOf(check, cost), now, a, b < 0 ? undefined : b)
        : slidingWindowVerdict(ruleOf(check, cost), now, { current: a, previous: b });

    return stateOf(
      check,
      reportedVerdict(charged, verdictAt(check.cost), () => verdictAt(0)),
    );
  });

  if (charged !== states.every((state) => state.allowed)) throw malformed();
  return { allowed: charged, states, now };
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
