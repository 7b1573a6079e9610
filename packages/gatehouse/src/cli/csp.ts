import { parseArgs } from 'node:util';

import type { GatehouseConfig } from '../config/index.js';
import { rolloutVerdict } from '../headers/rollout.js';
import { createSqlCspViolationStore, cspViolationMigrations } from '../headers/violations-store.js';
import type { ViolationGroup } from '../headers/violations-store.js';
import { migrate } from '../sql/index.js';
import type { CliIo } from './main.js';
import { openAppDatabase } from './users.js';

const USAGE = 'Usage: gatehouse csp report [--since <n>d|<n>h] [--json]\n';
const DAY_MS = 86_400_000;

/**
 * `gatehouse csp report`: the CSP violations the reference API collected over a period, grouped,
 * with a verdict on whether the report-only policy can be enforced. Exit code 0 when it can, 1
 * when it cannot yet, 2 on bad usage.
 */
export async function cspCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
  now: () => Date = () => new Date(),
): Promise<number> {
  const [action, ...rest] = args;
  let options: { since?: string | undefined; json?: boolean | undefined };
  try {
    options = parseArgs({
      args: rest,
      options: { since: { type: 'string' }, json: { type: 'boolean' } },
    }).values;
  } catch {
    io.err(USAGE);
    return 2;
  }
  const period = periodMs(options.since ?? '7d');
  if (action !== 'report' || period === undefined) {
    io.err(USAGE);
    return 2;
  }

  const since = new Date(now().getTime() - period);
  const db = openAppDatabase(config);
  try {
    await migrate(db, cspViolationMigrations);
    const store = createSqlCspViolationStore(db);
    const groups = await store.summary({ since });
    const pageViews = await store.pageViews({ since });
    const verdict = rolloutVerdict(groups, { since, pageViews });

    if (options.json === true) {
      io.out(
        `${JSON.stringify(
          { since: since.toISOString(), mode: config.headers.cspMode, pageViews, groups, verdict },
          null,
          2,
        )}\n`,
      );
    } else {
      io.out(formatReport(groups, { since, pageViews, mode: config.headers.cspMode, verdict }));
    }
    return verdict.ready ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** `7d` or `12h` in milliseconds; anything else is not a period. */
function periodMs(text: string): number | undefined {
  const match = /^([1-9]\d{0,3})([dh])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 'd' ? DAY_MS : DAY_MS / 24);
}

function formatReport(
  groups: readonly ViolationGroup[],
  context: {
    since: Date;
    pageViews: number;
    mode: string;
    verdict: ReturnType<typeof rolloutVerdict>;
  },
): string {
  const lines = [
    `CSP violations since ${context.since.toISOString()} (pages are served in ${context.mode} mode)`,
    `Page views with a policy: ${context.pageViews}`,
    '',
  ];
  if (groups.length === 0) lines.push('No violation reports in the period.');
  else {
    lines.push('count  disposition  directive        blocked                  page');
    for (const group of groups) {
      const noise = group.extension ? '  (browser extension)' : '';
      lines.push(
        `${String(group.count).padStart(5)}  ${group.disposition.padEnd(11)}  ` +
          `${group.directive.padEnd(15)}  ${group.blockedOrigin.padEnd(23)}  ` +
          `${group.documentPath}${noise}`,
      );
    }
  }
  lines.push('');
  if (context.verdict.ready) {
    lines.push(
      context.mode === 'report-only'
        ? 'Verdict: ready to enforce. Set GATEHOUSE_CSP_MODE=enforce and restart.'
        : 'Verdict: the candidate is ready. Move GATEHOUSE_CSP_CANDIDATE to GATEHOUSE_CSP_POLICY and restart.',
    );
  } else {
    lines.push('Verdict: not ready to enforce.');
    for (const reason of context.verdict.reasons) lines.push(`  - ${reason}`);
    for (const group of context.verdict.wouldBreak) {
      lines.push(
        `  would break: ${group.directive} ${group.blockedOrigin} on ${group.documentPath}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
