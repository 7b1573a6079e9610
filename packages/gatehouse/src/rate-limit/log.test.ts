import { describe, expect, it } from 'vitest';

import { logHorizon, releaseRank, slidingLogVerdict } from './log.js';

const W = 10_000;
const NOW = 1_700_000_000_000;
const rule = (limit: number, cost = 1) => ({ limit, windowMs: W, cost });

describe('the sliding log', () => {
  it('drops entries exactly one window old', () => {
    expect(logHorizon(NOW, W)).toBe(NOW - W);
  });

  it('admits while live entries plus the cost fit, and is whole again a window later', () => {
    expect(slidingLogVerdict(rule(3), NOW, 2, undefined)).toEqual({
      allowed: true,
      used: 3,
      resetMs: W,
    });
  });

  it('denies without charging and waits for the entry whose expiry makes room', () => {
    // Three live entries, limit 3, cost 2: the second oldest must leave.
    expect(releaseRank(rule(3, 2), 3)).toBe(2);
    expect(slidingLogVerdict(rule(3, 2), NOW, 3, NOW - 4_000)).toEqual({
      allowed: false,
      used: 3,
      resetMs: 6_000,
    });
  });

  it('for a cost that never fits, waits for the newest entry', () => {
    expect(releaseRank(rule(3, 4), 2)).toBe(2);
    expect(slidingLogVerdict(rule(3, 4), NOW, 2, NOW - 1_000).resetMs).toBe(9_000);
    expect(slidingLogVerdict(rule(3, 4), NOW, 0, undefined).resetMs).toBe(0);
  });

  it('at cost 0 reports the state as it stands, whole again when the newest entry leaves', () => {
    expect(releaseRank(rule(3, 0), 2)).toBe(2);
    expect(slidingLogVerdict(rule(3, 0), NOW, 2, NOW - 2_500)).toEqual({
      allowed: true,
      used: 2,
      resetMs: 7_500,
    });
  });
});
