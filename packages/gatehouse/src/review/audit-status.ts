/**
 * The audit log's verification status: the whole log re-read and re-hashed, read-only, as
 * `gatehouse audit verify` does it. A log that no longer matches its own checkpoints is the one
 * finding a review cannot rate below critical.
 * @module
 */
import { join } from 'node:path';

import { checkpointVerifierKeys } from '../audit/checkpoint-key.js';
import { fileAuditSource } from '../audit/file/source.js';
import { auditOriginOf } from '../audit/origin.js';
import { openPostgresAuditStore } from '../audit/postgres/store.js';
import type { AuditLogSource } from '../audit/store.js';
import { parseVerifierKey, type NoteVerifier } from '../audit/tlog/index.js';
import { verifyAuditLog, type AuditVerification } from '../audit/verify.js';
import type { GatehouseConfig } from '../config/index.js';
import { keyDirectories, listManagedKeys } from '../keys/inventory.js';
import type { Finding } from './finding.js';
import { isDirectory } from './fs.js';

/** The verification outcome; `undefined` when the deployment has no log yet. */
export function auditVerificationFindings(result: AuditVerification | undefined): Finding[] {
  if (result === undefined || (result.ok && result.entries === 0)) {
    return [
      {
        id: 'audit-log:empty',
        severity: 'info',
        title: 'no audit log yet',
        detail: 'The deployment has not recorded any entry.',
      },
    ];
  }
  if (result.ok) {
    return [
      {
        id: 'audit-log:verified',
        severity: 'info',
        title: `audit log verified: ${result.entries} entries, ${result.checkpoints} checkpoints`,
        detail: `Every entry, root and checkpoint matches; the latest checkpoint covers ${result.latest?.size ?? 0} entries.`,
      },
    ];
  }
  const mismatch = result.firstMismatch;
  return [
    {
      id: 'audit-log:mismatch',
      severity: 'critical',
      title: `audit log does not verify at entry ${mismatch?.index ?? '?'}: ${mismatch?.kind ?? 'unknown'}`,
      detail: mismatch?.detail ?? 'The log does not match its checkpoints.',
      fix:
        'Treat it as an incident: keep a copy of the log as it is, compare it with a published ' +
        'checkpoint (`gatehouse audit verify --checkpoint <file>`) and find out who could write it.',
    },
  ];
}

/**
 * Verifies the deployment's log without writing anything: its PostgreSQL database, or its files
 * (never opened for writing, since a running server owns them). The checkpoint key is read only
 * if it exists; without it every stored checkpoint fails to verify, which is itself a finding.
 * Resolves to `undefined` when there is no file log at all.
 */
export async function verifyDeploymentAuditLog(
  config: GatehouseConfig,
): Promise<AuditVerification | undefined> {
  const origin = auditOriginOf(config.publicUrl);
  const verifiers = await existingVerifiers(config.dataDir, origin);

  if (config.auditDatabaseUrl !== undefined) {
    const store = await openPostgresAuditStore(config.auditDatabaseUrl);
    try {
      return await verifyAuditLog(store, { verifiers, origin });
    } finally {
      await store.close();
    }
  }

  const dir = join(config.dataDir, 'audit');
  if (!(await isDirectory(dir))) return undefined;
  const source: AuditLogSource = fileAuditSource(dir);
  return verifyAuditLog(source, { verifiers, origin });
}

/** Runs the verification; a log that cannot be reached is a medium finding, not a crash. */
export async function auditLogFindings(config: GatehouseConfig): Promise<Finding[]> {
  let result: AuditVerification | undefined;
  try {
    result = await verifyDeploymentAuditLog(config);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return [
      {
        id: 'audit-log:not-verified',
        severity: 'medium',
        title: 'audit log could not be verified',
        detail: `Reading it failed${typeof code === 'string' ? ` (${code})` : ''}.`,
        fix: 'Run `gatehouse audit verify` where the log can be read.',
      },
    ];
  }
  return auditVerificationFindings(result);
}

async function existingVerifiers(dataDir: string, origin: string): Promise<NoteVerifier[]> {
  const keys = await listManagedKeys(dataDir);
  if (!keys.some((key) => key.kind === 'audit' && key.id === origin)) return [];
  // The current key and the retired ones: checkpoints from before a rotation still count.
  const verifierKeys = await checkpointVerifierKeys(keyDirectories(dataDir).audit, origin);
  return verifierKeys.map(parseVerifierKey);
}
