import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  rollCounts,
  slidingEstimate,
  slidingWindowVerdict,
  windowIndex,
  type Rule,
  type WindowCounts,
} from './window.js';

const W = 60_000;
// A window start far from the epoch, like a real clock.
const START = 28_000_000 * W;
const rule = (limit: number, cost = 1): Rule => ({ limit, windowMs: W, cost });

describe('the sliding-window estimate', () => {
  it('weighs the previous window fully exactly at a window start', () => {
    expect(slidingEstimate(W, START, { current: 0, previous: 10 })).toBe(10);
  });

  it('rounds the last millisecond of the previous window up to a whole unit', () => {
    expect(slidingEstimate(W, START + W - 1, { current: 2, previous: 1 })).toBe(3);
    expect(slidingEstimate(W, START + W, { current: 0, previous: 2 })).toBe(2);
  });

  it('weighs the previous window by the share still inside the sliding window', () => {
    // 45 of 60 seconds left: 8 × 0.75 = 6.
    expect(slidingEstimate(W, START + 15_000, { current: 3, previous: 8 })).toBe(9);
    // 8 × 44.999/60 = 5.9998…, rounded up.
    expect(slidingEstimate(W, START + 15_001, { current: 3, previous: 8 })).toBe(9);
    expect(slidingEstimate(W, START + 22_500, { current: 3, previous: 8 })).toBe(8);
  });

  it('counts windows from the epoch', () => {
    expect(windowIndex(START, W)).toBe(28_000_000);
    expect(windowIndex(START - 1, W)).toBe(27_999_999);
  });
});

describe('the sliding-window verdict', () => {
  it('admits up to the limit and reports the time until the quota is whole again', () => {
    const verdict = slidingWindowVerdict(rule(10), START + 15_000, { current: 3, previous: 8 });
    // Charged now, the units count until the end of the next window: 45 s + 60 s.
    expect(verdict).toEqual({ allowed: true, used: 10, resetMs: 105_000 });
  });

  it('denies when estimate + cost exceeds the limit, without charging', () => {
    const verdict = slidingWindowVerdict(rule(10, 2), START + 15_000, { current: 3, previous: 8 });
    expect(verdict.allowed).toBe(false);
    expect(verdict.used).toBe(9);
  });

  it('waits, when denied, only as long as the previous window takes to decay enough', () => {
    // Room for 2 needs 8 × left / 60 s ≤ 5, so left ≤ 37.5 s: 7.5 s from now.
    const counts = { current: 3, previous: 8 };
    expect(slidingWindowVerdict(rule(10, 2), START + 15_000, counts).resetMs).toBe(7_500);
    expect(slidingWindowVerdict(rule(10, 2), START + 22_499, counts).allowed).toBe(false);
    expect(slidingWindowVerdict(rule(10, 2), START + 22_500, counts).allowed).toBe(true);
  });

  it('waits into the next window when the current window alone is over the limit', () => {
    // The 10 units of this window weigh 9 or less once 6 s of the next window have passed.
    const verdict = slidingWindowVerdict(rule(10), START + 15_000, { current: 10, previous: 0 });
    expect(verdict).toEqual({ allowed: false, used: 10, resetMs: 45_000 + 6_000 });
  });

  it('needs a single millisecond at the end of a window when only rounding is in the way', () => {
    const verdict = slidingWindowVerdict(rule(10), START + W - 1, { current: 9, previous: 10 });
    expect(verdict).toEqual({ allowed: false, used: 10, resetMs: 1 });
  });

  it('reports, for a cost that can never fit, the time until the quota is whole again', () => {
    const at = START + 15_000;
    expect(slidingWindowVerdict(rule(5, 6), at, { current: 1, previous: 0 }).resetMs).toBe(105_000);
    expect(slidingWindowVerdict(rule(5, 6), at, { current: 0, previous: 1 }).resetMs).toBe(45_000);
    expect(slidingWindowVerdict(rule(5, 6), at, { current: 0, previous: 0 })).toEqual({
      allowed: false,
      used: 0,
      resetMs: 0,
    });
  });

  it('at cost 0 reports the state as it stands', () => {
    const at = START + 15_000;
    expect(slidingWindowVerdict(rule(10, 0), at, { current: 0, previous: 4 })).toEqual({
      allowed: true,
      used: 3,
      resetMs: 45_000,
    });
  });
});

describe('rolling counters forward', () => {
  const counts = { current: 4, previous: 2 };

  it('keeps them within their window, shifts them by one, forgets them after two', () => {
    expect(rollCounts(7, counts, 7 * W, W)).toEqual(counts);
    expect(rollCounts(7, counts, 8 * W, W)).toEqual({ current: 0, previous: 4 });
    expect(rollCounts(7, counts, 9 * W, W)).toEqual({ current: 0, previous: 0 });
  });

  it('keeps newer counts as current when the clock steps back', () => {
    expect(rollCounts(7, counts, 6 * W, W)).toEqual(counts);
  });
});

const scenario = fc.record({
  limit: fc.integer({ min: 1, max: 1_000 }),
  windowMs: fc.integer({ min: 1, max: 3_600 }).map((seconds) => seconds * 1000),
  cost: fc.integer({ min: 1, max: 20 }),
  current: fc.integer({ min: 0, max: 1_000 }),
  previous: fc.integer({ min: 0, max: 1_000 }),
  offset: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function frame(s: Scenario) {
  const now =
    1_700_000_000_000 - (1_700_000_000_000 % s.windowMs) + Math.floor(s.offset * s.windowMs);
  const counts: WindowCounts = { current: s.current, previous: s.previous };
  return { now, counts, rule: { limit: s.limit, windowMs: s.windowMs, cost: s.cost } };
}

describe('sliding-window properties', () => {
  it('never estimates below the exact weighted usage, and by less than one unit', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { now, counts, rule } = frame(s);
        const left = rule.windowMs - (now % rule.windowMs);
        const estimate = slidingEstimate(rule.windowMs, now, counts);
        // Compared in whole numbers: estimate ≥ current + previous × left / W.
        const exactTimesW = BigInt(counts.current * rule.windowMs + counts.previous * left);
        expect(BigInt(estimate * rule.windowMs) >= exactTimesW).toBe(true);
        expect(BigInt((estimate - 1) * rule.windowMs) < exactTimesW).toBe(true);
      }),
    );
  });

  it('admits a denied request exactly when its wait is over, and not a millisecond before', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { now, counts, rule } = frame(s);
        const verdict = slidingWindowVerdict(rule, now, counts);
        fc.pre(!verdict.allowed && rule.cost <= rule.limit);

        const index = windowIndex(now, rule.windowMs);
        const at = (t: number) =>
          slidingWindowVerdict(rule, t, rollCounts(index, counts, t, rule.windowMs)).allowed;
        expect(at(now + verdict.resetMs)).toBe(true);
        expect(at(now + verdict.resetMs - 1)).toBe(false);
      }),
    );
  });

  it('restores the whole quota exactly when an admitted request says it will', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { now, counts, rule } = frame(s);
        const verdict = slidingWindowVerdict(rule, now, counts);
        fc.pre(verdict.allowed);

        const index = windowIndex(now, rule.windowMs);
        const charged = { current: counts.current + rule.cost, previous: counts.previous };
        const usedAt = (t: number) =>
          slidingEstimate(rule.windowMs, t, rollCounts(index, charged, t, rule.windowMs));
        expect(usedAt(now + verdict.resetMs)).toBe(0);
        expect(usedAt(now + verdict.resetMs - 1)).toBeGreaterThan(0);
      }),
    );
  });
});
