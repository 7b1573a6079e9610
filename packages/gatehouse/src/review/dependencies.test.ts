import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  dependencyAuditFindings,
  lockfileFindings,
  type CommandResult,
  type CommandRunner,
} from './dependencies.js';

/** What `npm audit --json` prints, reduced to the counts the review reads (npm 10 layout). */
function auditReport(counts: Partial<Record<string, number>>): CommandResult {
  const vulnerabilities = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts };
  const total = Object.values(vulnerabilities).reduce((a, b) => a + b, 0);
  return {
    exitCode: total === 0 ? 0 : 1,
    stdout: JSON.stringify({
      auditReportVersion: 2,
      vulnerabilities: {},
      metadata: { vulnerabilities: { ...vulnerabilities, total } },
    }),
    stderr: '',
  };
}

const answering =
  (result: CommandResult): CommandRunner =>
  async () =>
    result;

describe('dependencyAuditFindings', () => {
  it('runs npm audit on production dependencies in the root', async () => {
    const calls: unknown[] = [];
    await dependencyAuditFindings('/repo', 'high', async (...call) => {
      calls.push(call);
      return auditReport({});
    });
    expect(calls).toEqual([['npm', ['audit', '--json', '--omit=dev'], '/repo']]);
  });

  it('fails on advisories at or above the audit level and reports the rest as info', async () => {
    const findings = await dependencyAuditFindings(
      '/repo',
      'high',
      answering(auditReport({ low: 2, moderate: 1, high: 3, critical: 1 })),
    );
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['dependency-vulnerabilities:low', 'info'],
      ['dependency-vulnerabilities:moderate', 'info'],
      ['dependency-vulnerabilities:high', 'high'],
      ['dependency-vulnerabilities:critical', 'critical'],
    ]);
    expect(findings[2]!.title).toBe('3 high advisories in production dependencies');
  });

  it('makes moderate advisories failing with --audit-level moderate', async () => {
    const findings = await dependencyAuditFindings(
      '/repo',
      'moderate',
      answering(auditReport({ moderate: 1 })),
    );
    expect(findings.map((f) => f.severity)).toEqual(['high']);
  });

  it('reports a clean audit as info', async () => {
    const findings = await dependencyAuditFindings('/repo', 'high', answering(auditReport({})));
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['dependency-vulnerabilities:none', 'info'],
    ]);
  });

  it('is a medium finding, not a crash, when npm cannot reach the registry', async () => {
    const offline: CommandResult = {
      exitCode: 1,
      stdout: JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'request failed' } }),
      stderr: 'npm error code ENOTFOUND',
    };
    const findings = await dependencyAuditFindings('/repo', 'high', answering(offline));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'dependency-audit:not-run',
      severity: 'medium',
      title: 'dependency audit could not run',
    });
    expect(findings[0]!.detail).toContain('ENOTFOUND');
  });

  it('is the same finding when npm cannot be started at all', async () => {
    const missing: CommandRunner = async () => {
      throw Object.assign(new Error('spawn npm ENOENT'), { code: 'ENOENT' });
    };
    const findings = await dependencyAuditFindings('/repo', 'high', missing);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['dependency-audit:not-run', 'medium'],
    ]);
    expect(findings[0]!.detail).toContain('ENOENT');
  });

  it('does not trust a report whose counts are not counts', async () => {
    const odd: CommandResult = {
      exitCode: 1,
      stdout: JSON.stringify({ metadata: { vulnerabilities: { high: 'many' } } }),
      stderr: '',
    };
    const findings = await dependencyAuditFindings('/repo', 'high', answering(odd));
    expect(findings.map((f) => f.id)).toEqual(['dependency-audit:not-run']);
  });
});

describe('lockfileFindings', () => {
  function workspace(manifest: object, lock?: object): string {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-review-lock-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify(manifest));
    if (lock) writeFileSync(join(root, 'package-lock.json'), JSON.stringify(lock));
    return root;
  }
  const manifest = {
    name: 'app',
    dependencies: { jose: '^6.2.0' },
    devDependencies: { vitest: '^4.1.0' },
  };
  const lockOf = (root: object) => ({ lockfileVersion: 3, packages: { '': root } });

  it('rates a missing lockfile high', async () => {
    const findings = await lockfileFindings(workspace(manifest));
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['lockfile:missing', 'high']]);
  });

  it('accepts a lockfile that records what package.json declares', async () => {
    expect(await lockfileFindings(workspace(manifest, lockOf(manifest)))).toEqual([]);
  });

  it('finds a dependency added, or a range changed, without updating the lockfile', async () => {
    const added = { ...manifest, dependencies: { ...manifest.dependencies, pg: '^8.0.0' } };
    const changed = { ...manifest, dependencies: { jose: '^5.0.0' } };
    for (const declared of [added, changed]) {
      const findings = await lockfileFindings(workspace(declared, lockOf(manifest)));
      expect(findings.map((f) => [f.id, f.severity])).toEqual([['lockfile:out-of-date', 'medium']]);
      expect(findings[0]!.detail).toContain('(root)');
    }
  });
});
