import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { loadOrCreateCheckpointKey } from '../audit/checkpoint-key.js';
import type { AuditEntryInput } from '../audit/entry.js';
import { auditInboxDir, leaveAuditEntry } from '../audit/inbox.js';
import { createAuditLog } from '../audit/log.js';
import { auditOriginOf } from '../audit/origin.js';
import { openPostgresAuditStore } from '../audit/postgres/store.js';
import type { GatehouseConfig } from '../config/index.js';
import { keyDirectories } from '../keys/inventory.js';
import { NPM_SEVERITIES, type CommandRunner, type NpmSeverity } from '../review/dependencies.js';
import { isSeverity, type Severity } from '../review/finding.js';
import { isDirectory } from '../review/fs.js';
import { formatReport, type ReportFormat } from '../review/report.js';
import { runReview, type ReviewSummary } from '../review/run.js';
import type { CliIo } from './main.js';

const USAGE = `Usage: gatehouse review [options]
  --format text|markdown|json   how to print the report (default text); --json is --format json
  --max-age-days <n>            keys and secrets older than this are findings (default 90)
  --audit-level <severity>      npm advisories from this level up fail: info, low, moderate,
                                high, critical (default high)
  --fail-on <severity>          exit 1 when a finding is this severe or worse: info, low, medium,
                                high, critical (default high)
  --root <dir>                  the workspace root for npm audit and the lockfile (default .)
  --routes <dir>                the Next.js app directory to scan for route.ts
                                (default <root>/apps/api/app when it exists)
  --csp-rollout-days <n>        how long CSP may stay report-only (default 30)
  --rotate                      rotate the signing key when over age; retire expired verify-only keys
Exit codes: 0 nothing reaches --fail-on, 1 something does (or the review could not be recorded),
2 bad usage.
`;

/** What tests replace: the clock, the npm runner and the working directory. */
export interface ReviewCommandContext {
  readonly now?: () => Date;
  readonly runCommand?: CommandRunner;
  readonly cwd?: string;
}

interface ReviewArgs {
  readonly format: ReportFormat;
  readonly maxAgeDays: number;
  readonly auditLevel: NpmSeverity;
  readonly failOn: Severity;
  readonly root: string;
  readonly routes: string | undefined;
  readonly cspRolloutDays: number;
  readonly rotate: boolean;
}

/**
 * `gatehouse review`: the periodic security review, monthly or as a release gate. Prints the
 * report, records the run in the audit log, and exits 1 when a finding reaches `--fail-on`.
 */
export async function reviewCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
  context: ReviewCommandContext = {},
): Promise<number> {
  const options = await parseReviewArgs(args, context.cwd ?? process.cwd());
  if (options === undefined) {
    io.err(USAGE);
    return 2;
  }

  let recordingError: unknown;
  const report = await runReview({
    config,
    root: options.root,
    routesDir: options.routes,
    environment: io.env,
    cspReportOnlySince: io.env['GATEHOUSE_CSP_REPORT_ONLY_SINCE'] || undefined,
    cspRolloutDays: options.cspRolloutDays,
    maxAgeDays: options.maxAgeDays,
    auditLevel: options.auditLevel,
    failOn: options.failOn,
    rotate: options.rotate,
    ...(context.runCommand && { runCommand: context.runCommand }),
    ...(context.now && { now: context.now }),
    onReviewed: async (summary) => {
      try {
        await recordReview(config, summary);
      } catch (error) {
        recordingError = error;
      }
    },
  });

  io.out(formatReport(report, options.format));
  if (recordingError !== undefined) {
    const code = (recordingError as { code?: unknown } | null)?.code;
    io.err(
      `gatehouse review: the review could not be recorded in the audit log` +
        `${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    return 1;
  }
  return report.failed ? 1 : 0;
}

async function parseReviewArgs(args: readonly string[], cwd: string) {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        format: { type: 'string' },
        json: { type: 'boolean', default: false },
        'max-age-days': { type: 'string', default: '90' },
        'audit-level': { type: 'string', default: 'high' },
        'fail-on': { type: 'string', default: 'high' },
        root: { type: 'string', default: '.' },
        routes: { type: 'string' },
        'csp-rollout-days': { type: 'string', default: '30' },
        rotate: { type: 'boolean', default: false },
      },
    }).values;
  } catch {
    return undefined;
  }

  const format = values.json ? 'json' : (values.format ?? 'text');
  if (values.json && values.format !== undefined && values.format !== 'json') return undefined;
  if (format !== 'text' && format !== 'markdown' && format !== 'json') return undefined;
  const maxAgeDays = days(values['max-age-days']);
  const cspRolloutDays = days(values['csp-rollout-days']);
  const auditLevel = NPM_SEVERITIES.find((level) => level === values['audit-level']);
  const failOn = values['fail-on'];
  if (maxAgeDays === undefined || cspRolloutDays === undefined) return undefined;
  if (auditLevel === undefined || !isSeverity(failOn)) return undefined;

  const root = resolve(cwd, values.root);
  if (!(await isDirectory(root))) return undefined;
  let routes: string | undefined;
  if (values.routes !== undefined) {
    routes = resolve(cwd, values.routes);
    if (!(await isDirectory(routes))) return undefined;
  } else if (await isDirectory(join(root, 'apps', 'api', 'app'))) {
    routes = join(root, 'apps', 'api', 'app');
  }

  const parsed: ReviewArgs = {
    format,
    maxAgeDays,
    auditLevel,
    failOn,
    root,
    routes,
    cspRolloutDays,
    rotate: values.rotate,
  };
  return parsed;
}

function days(text: string): number | undefined {
  return /^[1-9]\d{0,4}$/.test(text) ? Number(text) : undefined;
}

/**
 * Records the run (and each key it rotated or retired) in the audit log. With a PostgreSQL log
 * the entries are appended durably here. A file log is owned by the running server, so the
 * entries are left in its audit inbox (`<dataDir>/audit-inbox/`, as `gatehouse keys` does) for
 * it to append.
 */
async function recordReview(config: GatehouseConfig, summary: ReviewSummary): Promise<void> {
  const entries = reviewEntries(summary);
  if (config.auditDatabaseUrl === undefined) {
    const inbox = auditInboxDir(config.dataDir);
    for (const entry of entries) await leaveAuditEntry(inbox, entry, new Date(summary.generatedAt));
    return;
  }

  const origin = auditOriginOf(config.publicUrl);
  const key = await loadOrCreateCheckpointKey(keyDirectories(config.dataDir).audit, origin);
  const store = await openPostgresAuditStore(config.auditDatabaseUrl);
  const log = createAuditLog({ store, signer: key.signer, origin, checkpointIntervalMs: 0 });
  try {
    for (const entry of entries) await log.append(entry, { required: true });
  } finally {
    await log.close();
  }
}

/** The `review.run` entry, then one per key the review rotated or retired. */
export function reviewEntries(summary: ReviewSummary): AuditEntryInput[] {
  const base = {
    actor: { kind: 'service', id: 'gatehouse-cli' },
    outcome: 'success',
    ip: '',
    userAgent: 'gatehouse-cli',
    requestId: randomUUID(),
    timestamp: summary.generatedAt,
  } as const;
  const rotation = summary.rotation ?? [];
  const entries: AuditEntryInput[] = [
    {
      ...base,
      action: 'review.run',
      resource: 'review',
      outcome: summary.failed ? 'failure' : 'success',
      details: {
        ...summary.counts,
        failOn: summary.failOn,
        rotated: rotation.filter((action) => action.action === 'rotated').length,
        retired: rotation.filter((action) => action.action === 'retired').length,
      },
    },
  ];
  for (const action of rotation) {
    if (action.action === 'rotated') {
      entries.push({
        ...base,
        action: 'keys.rotate',
        resource: `keys/${action.kind}`,
        details: { kind: action.kind, newId: action.newId ?? '', previousId: action.id },
      });
    } else if (action.action === 'retired') {
      entries.push({
        ...base,
        action: 'keys.retire',
        resource: `keys/${action.kind}/${action.id}`,
        details: { kind: action.kind },
      });
    }
  }
  return entries;
}
