/**
 * What every review check returns: findings with a severity on one scale, so a report can count
 * them and a CI gate can fail on a threshold.
 * @module
 */

/** How much a finding matters, from a note to something to fix before the next release. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** Every severity, least severe first. */
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** One thing a review found. */
export interface Finding {
  /** Stable: the rule, then what it is about (`key-age:jwt:<kid>`), for tickets and baselines. */
  readonly id: string;
  readonly severity: Severity;
  /** One line. */
  readonly title: string;
  /** Why it matters, in a sentence or two; never a secret's value. */
  readonly detail: string;
  /** What to do about it. */
  readonly fix?: string;
}

/** Findings per severity, every severity present. */
export type SeverityCounts = Record<Severity, number>;

export function isSeverity(text: string): text is Severity {
  return (SEVERITIES as readonly string[]).includes(text);
}

/** Whether `severity` is `threshold` or worse. */
export function reaches(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** The worse of two severities. */
export function worse(a: Severity, b: Severity): Severity {
  return reaches(a, b) ? a : b;
}

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/** Most severe first; within a severity, by id, so reports compare line by line. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
