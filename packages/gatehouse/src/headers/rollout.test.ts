import { describe, expect, it } from 'vitest';

import { rolloutVerdict } from './rollout.js';
import type { ViolationGroup } from './violations-store.js';

const since = new Date('2030-01-01T00:00:00.000Z');
const later = new Date('2030-01-05T00:00:00.000Z');
const before = new Date('2029-12-20T00:00:00.000Z');

function group(fields: Partial<ViolationGroup> = {}): ViolationGroup {
  return {
    directive: 'script-src-elem',
    blockedOrigin: 'https://cdn.example',
    documentPath: '/',
    disposition: 'report',
    extension: false,
    count: 3,
    firstSeen: since,
    lastSeen: later,
    ...fields,
  };
}

const extensionNoise = group({ blockedOrigin: 'chrome-extension', extension: true });

describe('rolloutVerdict', () => {
  it('is ready with enough page views and no violation', () => {
    expect(rolloutVerdict([], { since, pageViews: 5000 })).toEqual({
      ready: true,
      reasons: [],
      wouldBreak: [],
    });
  });

  it('is ready with only extension noise, which also shows reports arrive', () => {
    expect(rolloutVerdict([extensionNoise], { since }).ready).toBe(true);
  });

  it('is not ready without any sign of traffic', () => {
    const verdict = rolloutVerdict([], { since });
    expect(verdict.ready).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/No report arrived/)]);
  });

  it('is not ready with too few page views, whatever the reports', () => {
    const verdict = rolloutVerdict([extensionNoise], { since, pageViews: 99 });
    expect(verdict.ready).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/Only 99 page views.*at least 100/)]);
    expect(rolloutVerdict([], { since, pageViews: 10, minPageViews: 10 }).ready).toBe(true);
  });

  it('is not ready while a first-party violation of the report-only policy remains', () => {
    const firstParty = group({ count: 7 });
    const verdict = rolloutVerdict([extensionNoise, firstParty], { since, pageViews: 5000 });

    expect(verdict.ready).toBe(false);
    expect(verdict.wouldBreak).toEqual([firstParty]);
    expect(verdict.reasons).toEqual([expect.stringMatching(/1 first-party .*\(7 reports\)/)]);
  });

  it('gives every reason at once', () => {
    const verdict = rolloutVerdict([group()], { since, pageViews: 0 });
    expect(verdict.reasons).toHaveLength(2);
  });

  it('ignores violations of the enforced policy, which were blocked already', () => {
    const enforced = group({ disposition: 'enforce' });
    expect(rolloutVerdict([enforced], { since, pageViews: 5000 }).ready).toBe(true);
  });

  it('ignores groups last seen before the period', () => {
    const old = group({ firstSeen: before, lastSeen: before });
    expect(rolloutVerdict([old], { since, pageViews: 5000 }).ready).toBe(true);
    expect(rolloutVerdict([old], { since }).ready).toBe(false);
  });
});
