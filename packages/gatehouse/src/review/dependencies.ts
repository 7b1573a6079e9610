/**
 * The dependency audit: known advisories against the production dependency tree (`npm audit`),
 * and a lockfile that pins that tree. Without a lockfile in step with `package.json`, the tree
 * that was audited is not the tree that gets installed.
 * @module
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { worse, type Finding, type Severity } from './finding.js';

/** npm's advisory severities, least severe first. */
export const NPM_SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type NpmSeverity = (typeof NPM_SEVERITIES)[number];

/** What a command printed and how it ended; `exitCode` is `null` when it was killed. */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; rejects when it cannot be started. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  cwd: string,
) => Promise<CommandResult>;

/** Runs commands as child processes, at most two minutes each. */
export const spawnCommand: CommandRunner = (command, args, cwd) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { cwd, timeout: 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        // A string code (ENOENT, ENOBUFS) means the command never ran to its end.
        if (typeof code === 'string') reject(error);
        else
          resolve({ exitCode: error ? ((code as number | undefined) ?? null) : 0, stdout, stderr });
      },
    );
  });

/**
 * Runs `npm audit --json --omit=dev` in `root` and maps its counts to findings. npm exits
 * non-zero whenever it finds anything, so the JSON, not the exit code, says whether it ran.
 */
export async function dependencyAuditFindings(
  root: string,
  auditLevel: NpmSeverity,
  run: CommandRunner = spawnCommand,
): Promise<Finding[]> {
  let result: CommandResult;
  try {
    result = await run('npm', ['audit', '--json', '--omit=dev'], root);
  } catch (error) {
    return [auditDidNotRun(`npm could not be started (${errorCode(error)}).`)];
  }
  return npmAuditFindings(result, auditLevel);
}

/**
 * Findings from what `npm audit --json` printed: one per severity that has advisories. Those at
 * or above `auditLevel` are high (critical for critical advisories) so that they fail the
 * default gate; those below it are info.
 */
export function npmAuditFindings(result: CommandResult, auditLevel: NpmSeverity): Finding[] {
  const counts = vulnerabilityCounts(result.stdout);
  if (counts === undefined) {
    return [
      auditDidNotRun(
        `npm audit ended with exit code ${result.exitCode ?? 'none'} and no report` +
          `${npmErrorCode(result.stdout)}; it needs the registry (network access).`,
      ),
    ];
  }

  const findings: Finding[] = [];
  for (const npmSeverity of NPM_SEVERITIES) {
    const count = counts[npmSeverity];
    if (count === 0) continue;
    const gating = NPM_SEVERITIES.indexOf(npmSeverity) >= NPM_SEVERITIES.indexOf(auditLevel);
    const severity: Severity = gating ? worse(asSeverity(npmSeverity), 'high') : 'info';
    findings.push({
      id: `dependency-vulnerabilities:${npmSeverity}`,
      severity,
      title: `${count} ${npmSeverity} ${count === 1 ? 'advisory' : 'advisories'} in production dependencies`,
      detail: gating
        ? `At or above the audit level (${auditLevel}).`
        : `Below the audit level (${auditLevel}); reported, not failing.`,
      fix: 'Run `npm audit --omit=dev` for the packages and `npm audit fix`, or update them.',
    });
  }
  if (findings.length === 0) {
    findings.push({
      id: 'dependency-vulnerabilities:none',
      severity: 'info',
      title: 'no known advisories in production dependencies',
      detail: 'npm audit reported none.',
    });
  }
  return findings;
}

function vulnerabilityCounts(stdout: string): Record<NpmSeverity, number> | undefined {
  let report: unknown;
  try {
    report = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const totals = (report as { metadata?: { vulnerabilities?: unknown } } | null)?.metadata
    ?.vulnerabilities;
  if (typeof totals !== 'object' || totals === null) return undefined;

  const counts = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 };
  for (const severity of NPM_SEVERITIES) {
    const value = (totals as Record<string, unknown>)[severity];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
      return undefined;
    }
    counts[severity] = (value as number | undefined) ?? 0;
  }
  return counts;
}

/** npm's own error code (`ENOTFOUND`) or the registry's HTTP status, when it printed one. */
function npmErrorCode(stdout: string): string {
  let printed: { error?: { code?: unknown }; statusCode?: unknown } | null;
  try {
    printed = JSON.parse(stdout) as typeof printed;
  } catch {
    return '';
  }
  const code = printed?.error?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return ` (${code})`;
  const status = printed?.statusCode;
  return Number.isInteger(status) ? ` (HTTP ${status as number})` : '';
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

function auditDidNotRun(detail: string): Finding {
  return {
    id: 'dependency-audit:not-run',
    severity: 'medium',
    title: 'dependency audit could not run',
    detail,
    fix: 'Run the review where the npm registry can be reached, or run `npm audit --omit=dev` separately.',
  };
}

function asSeverity(npmSeverity: NpmSeverity): Severity {
  return npmSeverity === 'moderate' ? 'medium' : npmSeverity;
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

/**
 * The lockfile check: `package-lock.json` must exist (high), and the dependencies each
 * `package.json` declares (root, and every workspace the lockfile lists) must be the ones the
 * lockfile recorded for it, name and range (medium). This is the comparison `npm ci` makes
 * before it installs; it does not resolve the tree.
 */
export async function lockfileFindings(root: string): Promise<Finding[]> {
  let lock: { packages?: Record<string, Record<string, unknown>> };
  try {
    lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as typeof lock;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [
        {
          id: 'lockfile:missing',
          severity: 'high',
          title: 'no package-lock.json',
          detail:
            'Without a lockfile every install resolves the ranges again, so what runs in ' +
            'production is not what was tested or audited.',
          fix: 'Run `npm install`, commit package-lock.json, and install with `npm ci`.',
        },
      ];
    }
    return [lockfileUnreadable('package-lock.json is not valid JSON.')];
  }
  if (typeof lock.packages !== 'object' || lock.packages === null || !lock.packages['']) {
    return [lockfileUnreadable('package-lock.json has no `packages` section (lockfile v1?).')];
  }

  const stale: string[] = [];
  const places = Object.keys(lock.packages).filter((key) => !key.includes('node_modules'));
  for (const place of places) {
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(await readFile(join(root, place, 'package.json'), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      stale.push(place === '' ? '(root)' : place);
      continue;
    }
    if (!sameDependencies(manifest, lock.packages[place]!))
      stale.push(place === '' ? '(root)' : place);
  }
  if (stale.length === 0) return [];
  return [
    {
      id: 'lockfile:out-of-date',
      severity: 'medium',
      title: 'package-lock.json is out of date with package.json',
      detail: `The declared dependencies differ from the lockfile's for: ${stale.join(', ')}.`,
      fix: 'Run `npm install` and commit the updated package-lock.json.',
    },
  ];
}

function sameDependencies(manifest: Record<string, unknown>, locked: Record<string, unknown>) {
  return DEPENDENCY_FIELDS.every((field) => {
    const declared = Object.entries(asRecord(manifest[field])).sort();
    const recorded = Object.entries(asRecord(locked[field])).sort();
    return JSON.stringify(declared) === JSON.stringify(recorded);
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function lockfileUnreadable(detail: string): Finding {
  return {
    id: 'lockfile:unreadable',
    severity: 'medium',
    title: 'package-lock.json could not be read',
    detail,
    fix: 'Regenerate it with a current npm (`npm install`) and commit it.',
  };
}
