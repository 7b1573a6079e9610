/**
 * The sliding-window counter, as pure arithmetic on two counts and a clock. Both stores decide
 * with these functions (the Redis script mirrors `slidingWindowVerdict`'s admission rule), so a
 * frozen clock is all a test needs.
 *
 * Windows of `windowMs` are aligned to the epoch. The usage estimate at `now` is
 * `current + previous × (share of the previous window still inside the sliding window)`, with the
 * previous window's contribution rounded up: the estimate is never below the exact weighted value,
 * so rounding never admits a request the exact arithmetic would deny.
 * @module
 */

/** A limit in the units the arithmetic works in: `limit` units per `windowMs` milliseconds. */
export interface Rule {
  readonly limit: number;
  readonly windowMs: number;
  readonly cost: number;
}

/** One policy's answer, before it becomes a `LimitState`. */
export interface Verdict {
  readonly allowed: boolean;
  /** Usage after the request when admitted, else as it stands. */
  readonly used: number;
  /** Milliseconds until the reset, as defined on `LimitState.resetSeconds`. */
  readonly resetMs: number;
}

/** Units admitted in the current window and in the one before it. */
export interface WindowCounts {
  readonly current: number;
  readonly previous: number;
}

/** The index of the window holding `now`: windows start at multiples of `windowMs`. */
export function windowIndex(now: number, windowMs: number): number {
  return Math.floor(now / windowMs);
}

/** Milliseconds from `now` to the end of its window, in `(0, windowMs]`. */
export function windowLeft(now: number, windowMs: number): number {
  return windowMs - (now - windowIndex(now, windowMs) * windowMs);
}

/**
 * `⌊a / b⌋` for non-negative safe integers. The floating-point quotient can round up to the next
 * integer when the exact one sits just below it; the product check catches that.
 */
export function floorDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b > a ? q - 1 : q;
}

/** `⌈a / b⌉` for non-negative safe integers, with the same care as `floorDiv`. */
export function ceilDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b < a ? q + 1 : q;
}

/** The weighted usage at `now`, rounded up. */
export function slidingEstimate(windowMs: number, now: number, counts: WindowCounts): number {
  const weighted = ceilDiv(counts.previous * windowLeft(now, windowMs), windowMs);
  return counts.current + weighted;
}

/**
 * Whether `rule.cost` more units fit at `now`, and the state that follows. A denied request is
 * not charged, so `used` is then the estimate as it stands. With a cost of 0 it is the state as
 * it stands, which is what a policy reports when another policy denied the request.
 */
export function slidingWindowVerdict(rule: Rule, now: number, counts: WindowCounts): Verdict {
  const left = windowLeft(now, rule.windowMs);
  const estimate = slidingEstimate(rule.windowMs, now, counts);

  if (estimate + rule.cost <= rule.limit) {
    const after = { current: counts.current + rule.cost, previous: counts.previous };
    return {
      allowed: true,
      used: estimate + rule.cost,
      resetMs: untilRestored(rule.windowMs, left, after),
    };
  }
  return { allowed: false, used: estimate, resetMs: waitForRoom(rule, left, counts) };
}

/**
 * Milliseconds until the estimate is 0 again. Units of the current window count until the end of
 * the next one, when their weight as the previous window reaches 0; units of the previous window
 * count until the end of this one.
 */
function untilRestored(windowMs: number, left: number, counts: WindowCounts): number {
  if (counts.current > 0) return left + windowMs;
  return counts.previous > 0 ? left : 0;
}

/**
 * Milliseconds until `cost` fits again with no further traffic, solved from the linear decay.
 * Within the current window the estimate is `current + ⌈previous × (left − t) / W⌉`, which fits
 * once `previous × (left − t) ≤ room × W`; when the current window alone leaves no room, the wait
 * runs into the next window, where the current count decays the same way from full weight.
 */
function waitForRoom({ limit, windowMs, cost }: Rule, left: number, counts: WindowCounts): number {
  const { current, previous } = counts;
  if (cost > limit) return untilRestored(windowMs, left, counts);

  // Denied with room left means the previous window's weight is what is in the way, so
  // `previous` is above 0 here.
  const room = limit - cost - current;
  if (room >= 0) return left - floorDiv(room * windowMs, previous);

  return left + windowMs - floorDiv((limit - cost) * windowMs, current);
}

/** Counts read at `now` from counters last written in window `index`. */
export function rollCounts(
  index: number,
  counts: WindowCounts,
  now: number,
  windowMs: number,
): WindowCounts {
  const currentIndex = windowIndex(now, windowMs);
  // A clock that stepped back keeps the newer counts as current: it must not hand out quota.
  if (index >= currentIndex) return counts;
  if (index === currentIndex - 1) return { current: 0, previous: counts.current };
  return { current: 0, previous: 0 };
}
