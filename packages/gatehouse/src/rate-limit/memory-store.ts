/**
 * The embedded rate-limit store: counters in a bounded in-process map. A check and its charge run
 * synchronously, so they are atomic within one process; several instances behind a balancer each
 * count on their own, and need the Redis store to share a limit.
 * @module
 */
import type { Clock } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import { assertChecks, reportedVerdict, ruleOf, stateOf } from './checks.js';
import { logHorizon, releaseRank, slidingLogVerdict } from './log.js';
import { LruMap } from './lru.js';
import type { LimitCheck, RateLimitStore } from './types.js';
import {
  rollCounts,
  slidingWindowVerdict,
  windowIndex,
  type Rule,
  type Verdict,
  type WindowCounts,
} from './window.js';

/** Options of the in-memory store. */
export interface MemoryRateLimitStoreOptions {
  /** Most policy-and-key counters kept; the least recently used go first. @default 100_000 */
  readonly maxKeys?: number;
  /** Source of the time in milliseconds. @default Date.now */
  readonly clock?: Clock;
}

/** The in-memory store, with a look at how many counters it holds. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Policy-and-key counters held, never more than `maxKeys`. */
  readonly size: number;
}

interface WindowEntry {
  index: number;
  current: number;
  previous: number;
}

/** Timestamps of admitted units, oldest first, never more than the limit. */
type LogEntry = number[];

interface Plan {
  readonly verdict: Verdict;
  /** The verdict at cost 0: the state as it stands. */
  readonly standing: () => Verdict;
  readonly charge: () => void;
}

const NONE: WindowCounts = { current: 0, previous: 0 };

/**
 * Creates the in-memory store. Throws `ERR_CONFIG_INVALID` when `maxKeys` is not a positive
 * integer. A flood of new keys evicts the least recently used counters, which forgets what those
 * clients had used: size `maxKeys` above the number of keys active within a window.
 *
 * @example
 * const limits = createMemoryRateLimitStore();
 * const decision = await limits.check([
 *   { policy: 'ip', key: 'ip4:203.0.113.9', limit: 600, windowSeconds: 60, cost: 1,
 *     algorithm: 'sliding-window' },
 * ]);
 */
export function createMemoryRateLimitStore(
  options: MemoryRateLimitStoreOptions = {},
): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const clock = options.clock ?? Date.now;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'maxKeys must be a positive integer');
  }

  // One map for both algorithms, so the bound and the eviction order are global.
  const entries = new LruMap<WindowEntry | LogEntry>(maxKeys);

  const planWindow = (id: string, rule: Rule, now: number): Plan => {
    const entry = entries.get(id) as WindowEntry | undefined;
    const counts = entry === undefined ? NONE : rollCounts(entry.index, entry, now, rule.windowMs);
    const index = Math.max(windowIndex(now, rule.windowMs), entry?.index ?? -Infinity);

    return {
      verdict: slidingWindowVerdict(rule, now, counts),
      standing: () => slidingWindowVerdict({ ...rule, cost: 0 }, now, counts),
      charge: () => {
        const next = { index, current: counts.current + rule.cost, previous: counts.previous };
        if (entry === undefined) entries.set(id, next);
        else Object.assign(entry, next);
      },
    };
  };

  const planLog = (id: string, rule: Rule, now: number): Plan => {
    const entry = entries.get(id) as LogEntry | undefined;
    const horizon = logHorizon(now, rule.windowMs);
    if (entry !== undefined) {
      let gone = 0;
      while (gone < entry.length && (entry[gone] ?? Infinity) <= horizon) gone++;
      entry.splice(0, gone);
    }

    const live = entry?.length ?? 0;
    const verdictAt = (at: Rule) => {
      const rank = releaseRank(at, live);
      return slidingLogVerdict(at, now, live, rank > 0 ? entry?.[rank - 1] : undefined);
    };
    return {
      verdict: verdictAt(rule),
      standing: () => verdictAt({ ...rule, cost: 0 }),
      charge: () => {
        const stamps = entry ?? [];
        // Kept in order even if the clock steps back: a later stamp only keeps units longer.
        const stamp = Math.max(now, stamps.at(-1) ?? now);
        for (let i = 0; i < rule.cost; i++) stamps.push(stamp);
        if (stamps.length > rule.limit) stamps.splice(0, stamps.length - rule.limit);
        if (entry === undefined) entries.set(id, stamps);
      },
    };
  };

  const plan = (check: LimitCheck, now: number): Plan => {
    // The algorithm keeps the two kinds of entry apart (their ids differ, so a cast is safe), and
    // the policy's length makes the id unambiguous whatever characters policy and key hold.
    const id = `${check.policy.length}:${check.policy}:${check.key}`;
    const rule = ruleOf(check);
    return check.algorithm === 'sliding-log'
      ? planLog(`log:${id}`, rule, now)
      : planWindow(`window:${id}`, rule, now);
  };

  return {
    get size() {
      return entries.size;
    },

    // Nothing here awaits: the whole check-and-charge runs before any other request's.
    async check(checks) {
      assertChecks(checks);
      const now = Math.floor(clock());
      const plans = checks.map((check) => plan(check, now));

      const allowed = plans.every((p) => p.verdict.allowed);
      if (allowed) plans.forEach((p) => p.charge());
      return {
        allowed,
        states: checks.map((check, i) => {
          const { verdict, standing } = plans[i] as Plan;
          return stateOf(check, reportedVerdict(allowed, verdict, standing));
        }),
        now,
      };
    },
  };
}
