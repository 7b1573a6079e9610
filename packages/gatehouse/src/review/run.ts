/**
 * The review runner: gathers every check's findings into one report, rotates what is due when
 * asked, and hands a summary to the caller to record.
 * @module
 */
import { join } from 'node:path';

import type { GatehouseConfig } from '../config/index.js';
import { GatehouseError } from '../errors.js';
import { listManagedKeys } from '../keys/inventory.js';
import { createEnvSecretProvider } from '../secrets/env-provider.js';
import { createFileSecretProvider } from '../secrets/file-provider.js';
import { keyAgeFindings, secretAgeFindings, type ProviderSecrets } from './ages.js';
import { auditLogFindings } from './audit-status.js';
import { configFindings } from './config-lint.js';
import {
  dependencyAuditFindings,
  lockfileFindings,
  type CommandRunner,
  type NpmSeverity,
} from './dependencies.js';
import {
  countBySeverity,
  reaches,
  sortFindings,
  type Finding,
  type Severity,
  type SeverityCounts,
} from './finding.js';
import { isDirectory } from './fs.js';
import { rotateDueKeys, type RotationAction } from './rotation.js';
import { routeDeclarationFindings } from './routes.js';

/** Options of `runReview`. */
export interface ReviewOptions {
  readonly config: GatehouseConfig;
  /** The workspace root: where `npm audit` runs and `package-lock.json` is read. */
  readonly root: string;
  /** Where the Next.js `route.ts` files are; unset: routes are not checked. */
  readonly routesDir?: string | undefined;
  /** Where `GATEHOUSE_SECRET_*` variables are read. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** `GATEHOUSE_CSP_REPORT_ONLY_SINCE`: when the report-only CSP rollout began. */
  readonly cspReportOnlySince?: string | undefined;
  /** @default 30 */
  readonly cspRolloutDays?: number;
  /** Keys and secrets older than this many days are findings. @default 90 */
  readonly maxAgeDays?: number;
  /** npm advisories from this severity up fail the review. @default 'high' */
  readonly auditLevel?: NpmSeverity;
  /** The review fails when a finding is this severe or worse. @default 'high' */
  readonly failOn?: Severity;
  /** Rotate the signing key when it is over age, and retire expired verify-only keys. */
  readonly rotate?: boolean;
  /** Runs `npm`; tests pass their own. @default child processes */
  readonly runCommand?: CommandRunner;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Told of the outcome once the report is complete, to record it (the CLI appends an audit
   * entry). A rejection rejects `runReview`; a caller that still wants the report catches in
   * the hook.
   */
  readonly onReviewed?: (summary: ReviewSummary) => Promise<void>;
}

/** The outcome of one review. */
export interface ReviewReport {
  /** ISO 8601, UTC. */
  readonly generatedAt: string;
  readonly failOn: Severity;
  /** Whether a finding reaches `failOn`. */
  readonly failed: boolean;
  readonly counts: SeverityCounts;
  /** Most severe first. */
  readonly findings: Finding[];
  /** What `rotate` did; `undefined` when it was not asked for. */
  readonly rotation: RotationAction[] | undefined;
}

/** What `onReviewed` is told: the report without its findings' text. */
export type ReviewSummary = Omit<ReviewReport, 'findings'>;

/**
 * Runs every check and returns the report. Checks that cannot complete (a key file others may
 * read, a secret store that refuses) become findings rather than errors, so one broken part
 * does not hide the others.
 * @example
 * const report = await runReview({ config: loadConfig(process.env), root: process.cwd() });
 * process.exitCode = report.failed ? 1 : 0;
 */
export async function runReview(options: ReviewOptions): Promise<ReviewReport> {
  const now = (options.now ?? (() => new Date()))();
  const { config } = options;
  const maxAgeDays = options.maxAgeDays ?? 90;
  const failOn = options.failOn ?? 'high';
  const overlapSeconds = config.auth.accessTokenSeconds + config.auth.clockToleranceSeconds;

  const rotation = options.rotate
    ? await rotateDueKeys(config.dataDir, { now, maxAgeDays, overlapSeconds })
    : undefined;

  const groups = await Promise.all([
    guarded('keys', async () =>
      keyAgeFindings(await listManagedKeys(config.dataDir), { now, maxAgeDays, overlapSeconds }),
    ),
    guarded('secrets', async () =>
      secretAgeFindings(await secretSources(config.dataDir, options.environment), {
        now,
        maxAgeDays,
      }),
    ),
    dependencyAuditFindings(options.root, options.auditLevel ?? 'high', options.runCommand),
    guarded('lockfile', () => lockfileFindings(options.root)),
    configFindings(config, {
      now,
      cspReportOnlySince: options.cspReportOnlySince,
      cspRolloutDays: options.cspRolloutDays ?? 30,
    }),
    options.routesDir === undefined
      ? []
      : guarded('routes', () => routeDeclarationFindings(options.routesDir!, options.root)),
    auditLogFindings(config),
  ]);

  const findings = sortFindings(groups.flat());
  const counts = countBySeverity(findings);
  const failed = findings.some((finding) => reaches(finding.severity, failOn));
  const summary: ReviewSummary = {
    generatedAt: now.toISOString(),
    failOn,
    failed,
    counts,
    rotation,
  };
  if (options.onReviewed) await options.onReviewed(summary);
  return { ...summary, findings };
}

/**
 * The secrets to judge: the files provider's store under the data directory when it exists (it
 * is not created), and `GATEHOUSE_SECRET_*` environment variables.
 */
async function secretSources(
  dataDir: string,
  environment: Readonly<Record<string, string | undefined>> | undefined,
): Promise<ProviderSecrets[]> {
  const sources: ProviderSecrets[] = [];
  const store = join(dataDir, 'secrets', 'store');
  if (await isDirectory(store)) {
    sources.push({
      provider: 'files',
      secrets: await createFileSecretProvider({ dir: store }).list(),
    });
  }
  const env = createEnvSecretProvider(environment === undefined ? {} : { environment });
  sources.push({ provider: 'env', secrets: await env.list() });
  return sources;
}

/** A check that throws becomes a high finding naming it; programming errors still throw. */
async function guarded(check: string, run: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await run();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (!(error instanceof GatehouseError) && typeof code !== 'string') throw error;
    return [
      {
        id: `check-failed:${check}`,
        severity: 'high',
        title: `the ${check} check could not complete`,
        detail:
          error instanceof GatehouseError ? error.message : `A file could not be read (${code}).`,
        fix: 'Fix the cause and run the review again; until then this part is unreviewed.',
      },
    ];
  }
}
