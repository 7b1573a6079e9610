import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadOrCreateSigningKeys } from '../auth/key-files.js';
import { loadConfig } from '../config/index.js';
import { keyDirectories, listManagedKeys } from '../keys/inventory.js';
import type { CommandRunner } from '../review/dependencies.js';
import { createFileSecretProvider } from '../secrets/file-provider.js';
import { createServiceKey } from '../service-keys/files.js';
import { main, type CliIo } from './main.js';
import { reviewCommand } from './review.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

/** `npm audit --json` with no advisories. */
const cleanAudit: CommandRunner = async () => ({
  exitCode: 0,
  stdout: JSON.stringify({
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0 } },
  }),
  stderr: '',
});

/** A data directory and a workspace whose lockfile matches its package.json. */
function deployment() {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-review-data-'));
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-cli-review-root-'));
  const manifest = { name: 'app', dependencies: { jose: '^6.2.0' } };
  writeFileSync(join(root, 'package.json'), JSON.stringify(manifest));
  writeFileSync(
    join(root, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, packages: { '': manifest } }),
  );
  return { dataDir, root };
}

async function review(
  args: string[],
  dataDir: string,
  root: string,
  env: Record<string, string> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { GATEHOUSE_DATA_DIR: dataDir, ...env },
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  };
  const config = loadConfig(io.env);
  const code = await reviewCommand(args, config, io, {
    now: () => NOW,
    runCommand: cleanAudit,
    cwd: root,
  });
  return { code, out: out.join(''), err: err.join('') };
}

/** The entries left in the audit inbox, oldest first. */
function inbox(dataDir: string): Record<string, unknown>[] {
  const dir = join(dataDir, 'audit-inbox');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>);
}

describe('gatehouse review', () => {
  it('passes a clean deployment, exit 0, and leaves a review.run entry for the server', async () => {
    const { dataDir, root } = deployment();
    const result = await review([], dataDir, root);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Result: passed, nothing at high or above.');

    const [entry, ...more] = inbox(dataDir);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: { kind: 'service', id: 'gatehouse-cli' },
      action: 'review.run',
      outcome: 'success',
      timestamp: NOW.toISOString(),
      details: { critical: 0, high: 0, medium: 0, failOn: 'high', rotated: 0 },
    });
    expect(readdirSync(join(dataDir, 'audit-inbox'))[0]).toMatch(/^\d{13}-[0-9a-f]{12}\.json$/);
  });

  it('exits 1 only when a finding reaches --fail-on, and records the failure', async () => {
    const { dataDir, root } = deployment();
    await createServiceKey(keyDirectories(dataDir).hmac, 'billing', daysAgo(100));

    const lenient = await review(['--json'], dataDir, root);
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.out).counts.medium).toBe(1);

    const strict = await review(['--fail-on', 'medium'], dataDir, root);
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('[MEDIUM] hmac key billing (active) is 100 days old');
    // Both runs share the frozen clock, so the inbox cannot tell their order.
    expect(inbox(dataDir).map((entry) => entry['outcome'])).toEqual(
      expect.arrayContaining(['success', 'failure']),
    );
  });

  it('judges the secret store and GATEHOUSE_SECRET_* variables, and creates no store', async () => {
    const { dataDir, root } = deployment();
    const env = { GATEHOUSE_SECRET_SMTP_PASSWORD: 'x' };
    const undated = JSON.parse((await review(['--json'], dataDir, root, env)).out);
    expect(undated.findings).toContainEqual(
      expect.objectContaining({ id: 'secret-undated:env:smtp_password', severity: 'low' }),
    );
    expect(existsSync(join(dataDir, 'secrets', 'store'))).toBe(false);

    const store = join(dataDir, 'secrets', 'store');
    await createFileSecretProvider({ dir: store, clock: () => daysAgo(200).getTime() }).put(
      'db/password',
      'old',
    );
    const dated = await review(['--max-age-days', '90'], dataDir, root);
    expect(dated.code).toBe(1);
    expect(dated.out).toContain('[HIGH] secret db/password (files) last changed 200 days ago');
  });

  it('reads the CSP rollout start from GATEHOUSE_CSP_REPORT_ONLY_SINCE', async () => {
    const { dataDir, root } = deployment();
    const env = {
      GATEHOUSE_CSP_MODE: 'report-only',
      GATEHOUSE_CSP_REPORT_ONLY_SINCE: '2026-05-01',
    };
    const ids = async (args: string[]) =>
      JSON.parse((await review(['--json', ...args], dataDir, root, env)).out).findings.map(
        (f: { id: string; severity: string }) => `${f.id} ${f.severity}`,
      );
    expect(await ids([])).toContain('csp:report-only-overdue medium');
    expect(await ids(['--csp-rollout-days', '90'])).toContain('csp:report-only info');
  });

  it('prints Markdown with a dated title and a summary table', async () => {
    const { dataDir, root } = deployment();
    const result = await review(['--format', 'markdown'], dataDir, root);
    expect(result.out.startsWith('# Security review 2026-06-30\n')).toBe(true);
    expect(result.out).toContain('| Severity | Findings |');
  });

  it('rotates an old active JWT key with --rotate and records the rotation', async () => {
    const { dataDir, root } = deployment();
    const [old] = await loadOrCreateSigningKeys(keyDirectories(dataDir).jwt, daysAgo(120));

    const result = await review(['--rotate'], dataDir, root);
    const keys = await listManagedKeys(dataDir);
    const active = keys.find((key) => key.state === 'active')!;
    expect(active.id).not.toBe(old!.kid);
    expect(keys.find((key) => key.id === old!.kid)?.state).toBe('verify-only');
    expect(result.out).toContain(`jwt key ${old!.kid} rotated: ${active.id} is now active`);
    // The replaced key verifies live tokens for a few more minutes; its age is handled.
    expect(result.code).toBe(0);
    expect(result.out).not.toContain(`jwt key ${old!.kid} (verify-only) is 120 days old`);

    expect(inbox(dataDir).map((entry) => entry['action'])).toEqual(
      expect.arrayContaining(['review.run', 'keys.rotate']),
    );
    const run = inbox(dataDir).find((entry) => entry['action'] === 'review.run');
    expect(run?.['details']).toMatchObject({ rotated: 1 });
  });

  it('exits 2 on bad usage and records nothing', async () => {
    const { dataDir, root } = deployment();
    for (const args of [
      ['--format', 'pdf'],
      ['--json', '--format', 'text'],
      ['--max-age-days', '0'],
      ['--fail-on', 'severe'],
      ['--audit-level', 'medium'],
      ['--routes', join(root, 'no-such-dir')],
      ['now'],
    ]) {
      const result = await review(args, dataDir, root);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain('Usage: gatehouse review');
    }
    expect(inbox(dataDir)).toEqual([]);
  });

  it('is dispatched by the gatehouse command', async () => {
    const err: string[] = [];
    const io: CliIo = {
      env: { GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gatehouse-cli-review-')) },
      out: () => undefined,
      err: (text) => err.push(text),
    };
    expect(await main(['review', '--fail-on', 'sometimes'], io)).toBe(2);
    expect(err.join('')).toContain('--fail-on <severity>');
  });
});
