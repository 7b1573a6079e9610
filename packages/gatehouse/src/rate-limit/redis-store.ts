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
import { CHECK_LIMITS, RULES_PER_CALL, WINDOW_COUNT_BOUND, groupBySlot } from './redis-scripts.js';
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
   * Checks of waiting requests share one script call (per hash slot on a cluster), decided in the
   * order they were made. Each request is still decided and charged as a whole; sharing only
   * saves round trips. `false` sends every request on its own.
   * @default true
   */
  readonly coalesce?: boolean;
  /**
   * Requests one shared call decides. Each turn of the event loop sends one call per hash slot
   * with the oldest waiting requests, this many (or a quarter of those waiting, when that is
   * more); the rest wait for the next turn. Calls spread over turns keep Redis working on one while
   * this process reads the answer to another; sent together, they would be decided together and
   * both sides would take turns idling.
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

/**
 * Checks per script call at most, well inside what Lua's `unpack` takes, and below
 * `RULES_PER_CALL`, since a call carries at most one rule per check. It bounds a request too.
 */
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
    for (const [slot, parts] of queues) {
      const take = Math.max(batchSize, Math.ceil(parts.length / 4));
      let call: Part[] = [];
      let size = 0;
      let taken = 0;
      for (; taken < parts.length && taken < take; taken++) {
        const part = parts[taken] as Part;
        if (size + part.checks.length > CHECKS_PER_CALL && call.length > 0) {
          void send(call);
          call = [];
          size = 0;
        }
        call.push(part);
        size += part.checks.length;
      }
      void send(call);
      if (taken === parts.length) queues.delete(slot);
      else queues.set(slot, parts.slice(taken));
    }
    if (queues.size > 0) schedule();
  };
  const schedule = () => {
    if (flushing) return;
    flushing = true;
    nextTurn(flush);
  };

  const decide = (slot: number, checks: readonly LimitCheck[]) =>
    new Promise<SlotDecision>((resolve, reject) => {
      const part = { checks, resolve, reject };
      if (options.coalesce === false) return void send([part]);
      const queue = queues.get(slot);
      if (queue) queue.push(part);
      else queues.set(slot, [part]);
      schedule();
    });

  return {
    async check(checks) {
      assertChecks(checks);
      if (checks.length > CHECKS_PER_CALL) {
        throw new GatehouseError(
          'ERR_RATE_LIMIT_INVALID',
          `a request may ask for at most ${CHECKS_PER_CALL} checks`,
        );
      }
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

/** A rule of a script call: the arithmetic's inputs, as the script reads them. */
interface CallRule {
  readonly kind: 'w' | 'l';
  readonly limit: number;
  readonly windowSeconds: number;
  readonly cost: number;
}

/**
 * The keys and arguments of one script call (see `CHECK_LIMITS`): the counter of every check in
 * order, each distinct rule once, and for a window counter checked again the position of its
 * first check. `args[0]`, the call's nonce, is left for the caller. A call holds few distinct
 * rules, so they are found by comparison rather than by building a name for each check.
 */
function callFor(parts: readonly Part[], counterKey: (check: LimitCheck) => string) {
  const rules: CallRule[] = [];
  const firsts = new Map<string, number>();
  const keys: string[] = [];
  const tail: number[] = [];
  for (const part of parts) {
    tail.push(part.checks.length);
    for (const check of part.checks) {
      const kind = check.algorithm === 'sliding-log' ? 'l' : 'w';
      const rule = ruleIndex(rules, kind, check);
      const key = counterKey(check);
      keys.push(key);
      let first = 0;
      if (kind === 'w') {
        first = firsts.get(key) ?? 0;
        if (first === 0) firsts.set(key, keys.length);
      }
      tail.push(rule + 1 + RULES_PER_CALL * first);
    }
  }
  const args = ['', String(rules.length)];
  for (const { kind, limit, windowSeconds, cost } of rules) {
    args.push(kind, String(limit), String(windowSeconds * 1000), String(cost));
  }
  args.push(JSON.stringify(tail));
  return { keys, args };
}

/** The position of a check's rule among `rules`, added when it is new. */
function ruleIndex(rules: CallRule[], kind: CallRule['kind'], check: LimitCheck): number {
  const { limit, windowSeconds, cost } = check;
  const found = rules.findIndex(
    (rule) =>
      rule.kind === kind &&
      rule.limit === limit &&
      rule.windowSeconds === windowSeconds &&
      rule.cost === cost,
  );
  if (found !== -1) return found;
  rules.push({ kind, limit, windowSeconds, cost });
  return rules.length - 1;
}

/** How many numbers the script replies for a check: see `CHECK_LIMITS`. */
const replyWidth = (check: LimitCheck) => (check.algorithm === 'sliding-log' ? 2 : 1);

/** Turns the script's reply into one decision per part, with the memory store's arithmetic. */
function readReply(reply: unknown, parts: readonly Part[]): SlotDecision[] {
  let expected = 1;
  for (const part of parts) {
    expected += 1;
    for (const check of part.checks) expected += replyWidth(check);
  }
  if (!Array.isArray(reply) || reply.length !== expected) throw malformed();
  for (let i = 0; i < expected; i++) {
    const value: unknown = reply[i];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw malformed();
  }
  const numbers = reply as number[];
  const now = numbers[0] as number;
  const decisions: SlotDecision[] = [];
  let at = 1;
  for (const part of parts) {
    decisions.push(readDecision(numbers, at, part.checks, now));
    at += 1;
    for (const check of part.checks) at += replyWidth(check);
  }
  return decisions;
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
  const states: LimitState[] = [];
  let all = true;
  let next = at + 1;
  for (const check of checks) {
    let a: number;
    let b: number;
    if (check.algorithm === 'sliding-log') {
      a = numbers[next] as number;
      b = numbers[next + 1] as number;
    } else {
      const packed = numbers[next] as number;
      if (packed < 0) throw malformed();
      b = packed % WINDOW_COUNT_BOUND;
      a = (packed - b) / WINDOW_COUNT_BOUND;
    }
    next += replyWidth(check);
    const verdict = reportedVerdict(charged, verdictOf(check, check.cost, now, a, b), () =>
      verdictOf(check, 0, now, a, b),
    );
    all &&= verdict.allowed;
    states.push(stateOf(check, verdict));
  }

  if (charged !== all) throw malformed();
  return { allowed: charged, states, now };
}

/** A check's verdict at `cost` from the two numbers the script replied for it. */
function verdictOf(check: LimitCheck, cost: number, now: number, a: number, b: number) {
  return check.algorithm === 'sliding-log'
    ? slidingLogVerdict(ruleOf(check, cost), now, a, b < 0 ? undefined : b)
    : slidingWindowVerdict(ruleOf(check, cost), now, { current: a, previous: b });
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
