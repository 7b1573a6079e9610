/**
 * The sliding log, as pure arithmetic: one timestamp per admitted unit, counted while it is less
 * than a window old. Exact, at a memory cost of up to `limit` timestamps per key.
 * @module
 */
import type { Rule, Verdict } from './window.js';

/** Timestamps at or before this instant have left the window of `now`. */
export function logHorizon(now: number, windowMs: number): number {
  return now - windowMs;
}

/**
 * Which entry, counting from 1 at the oldest, the reset waits for: when the request is denied,
 * the one whose expiry frees enough room for `cost`; otherwise, or when `cost` exceeds the limit
 * and can never fit, the newest, whose expiry restores the whole quota. 0 for an empty log.
 */
export function releaseRank({ limit, cost }: Rule, live: number): number {
  return live + cost <= limit || cost > limit ? live : live + cost - limit;
}

/**
 * Whether `rule.cost` more units fit beside the `live` entries of the window, and the state that
 * follows. `releasing` is the timestamp of the entry at `releaseRank`. With a cost of 0 it is the
 * state as it stands, which is what a policy reports when another policy denied the request.
 */
export function slidingLogVerdict(
  rule: Rule,
  now: number,
  live: number,
  releasing: number | undefined,
): Verdict {
  const expiry = releasing === undefined ? 0 : Math.max(0, releasing + rule.windowMs - now);
  if (live + rule.cost > rule.limit) return { allowed: false, used: live, resetMs: expiry };

  // Units just admitted are stamped `now`, so the quota is whole again one window later; with a
  // cost of 0 (the state as it stands) the newest entry decides.
  const resetMs = rule.cost > 0 ? rule.windowMs : expiry;
  return { allowed: true, used: live + rule.cost, resetMs };
}
