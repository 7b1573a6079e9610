/**
 * Whether a report-only policy has earned enforcement, judged from the violations it reported.
 * @module
 */
import type { ViolationGroup } from './violations-store.js';

/** Options of `rolloutVerdict`. */
export interface RolloutOptions {
  /** The start of the period judged; groups last seen before it are ignored. */
  readonly since: Date;
  /**
   * Page views served with the report-only policy over the period, when the app counts them.
   * Without it, at least one report of any kind (extension noise included) must have arrived,
   * which shows browsers were given the policy and reach the endpoint.
   */
  readonly pageViews?: number;
  /** The page views that count as enough traffic to judge. @default 100 */
  readonly minPageViews?: number;
}

/** The verdict: `ready` when nothing stands in the way, else each reason in a sentence. */
export interface RolloutVerdict {
  readonly ready: boolean;
  readonly reasons: string[];
  /** First-party report-only violations: what enforcing the policy would block. */
  readonly wouldBreak: ViolationGroup[];
}

/**
 * Judges whether the report-only policy can be enforced: ready when the period saw enough
 * traffic and no first-party violation of it (disposition `report`, not from an extension).
 * Violations of an already enforced policy (disposition `enforce`) were blocked anyway, and do
 * not count against the candidate.
 *
 * @example
 * const since = new Date(Date.now() - 14 * 86_400_000);
 * const verdict = rolloutVerdict(await violations.summary({ since }), { since, pageViews });
 * if (!verdict.ready) for (const reason of verdict.reasons) print(reason);
 */
export function rolloutVerdict(
  groups: readonly ViolationGroup[],
  options: RolloutOptions,
): RolloutVerdict {
  const since = options.since.getTime();
  const inPeriod = groups.filter((group) => group.lastSeen.getTime() >= since);
  const wouldBreak = inPeriod.filter((g) => g.disposition === 'report' && !g.extension);
  const reasons: string[] = [];

  const minPageViews = options.minPageViews ?? 100;
  if (options.pageViews !== undefined) {
    if (options.pageViews < minPageViews) {
      reasons.push(`Only ${options.pageViews} page views in the period; at least ${minPageViews}`);
    }
  } else if (inPeriod.length === 0) {
    reasons.push('No report arrived in the period, so there is no sign the policy was served');
  }

  if (wouldBreak.length > 0) {
    const reports = wouldBreak.reduce((sum, group) => sum + group.count, 0);
    reasons.push(
      `${wouldBreak.length} first-party violation groups (${reports} reports) would be blocked`,
    );
  }
  return { ready: reasons.length === 0, reasons, wouldBreak };
}
