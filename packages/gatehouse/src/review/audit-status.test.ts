import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadOrCreateCheckpointKey } from '../audit/checkpoint-key.js';
import { openFileAuditStore } from '../audit/file/store.js';
import { createAuditLog } from '../audit/log.js';
import { auditOriginOf } from '../audit/origin.js';
import { sampleEntry } from '../audit/test/support.js';
import { loadConfig } from '../config/index.js';
import { auditLogFindings, auditVerificationFindings } from './audit-status.js';

async function deploymentWithLog(entries: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-review-audit-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
  const origin = auditOriginOf(config.publicUrl);
  const key = await loadOrCreateCheckpointKey(join(dataDir, 'secrets', 'audit'), origin);
  const store = await openFileAuditStore(join(dataDir, 'audit'));
  const log = createAuditLog({ store, signer: key.signer, origin, checkpointIntervalMs: 0 });
  for (let n = 0; n < entries; n += 1) await log.append(sampleEntry(n));
  await log.close();
  return { config, dataDir };
}

describe('auditVerificationFindings', () => {
  it('is info when there is no log, critical at the first mismatch', () => {
    expect(auditVerificationFindings(undefined).map((f) => f.severity)).toEqual(['info']);
    const [finding] = auditVerificationFindings({
      ok: false,
      entries: 5,
      checkpoints: 1,
      firstMismatch: { index: 3, kind: 'changed', detail: 'record 3 differs' },
    });
    expect(finding).toMatchObject({ id: 'audit-log:mismatch', severity: 'critical' });
    expect(finding!.title).toContain('entry 3: changed');
  });
});

describe('auditLogFindings', () => {
  it('reports no log yet without creating one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-review-audit-'));
    const findings = await auditLogFindings(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }));
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['audit-log:empty', 'info']]);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('verifies an intact file log, read-only', async () => {
    const { config } = await deploymentWithLog(4);
    const findings = await auditLogFindings(config);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['audit-log:verified', 'info']]);
    expect(findings[0]!.title).toContain('4 entries');
  });

  it('rates an edited record critical', async () => {
    const { config, dataDir } = await deploymentWithLog(4);
    const dir = join(dataDir, 'audit');
    const segment = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('segment-'))!,
    );
    writeFileSync(segment, readFileSync(segment, 'utf8').replace('notes/2', 'notes/9'));

    const findings = await auditLogFindings(config);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['audit-log:mismatch', 'critical']]);
    expect(findings[0]!.title).toContain('entry 2');
  });
});
