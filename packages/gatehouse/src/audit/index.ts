/**
 * Layer 5, the audit log: structured entries in a tamper-evident, append-only log kept apart
 * from the app's database. Entries are leaves of an RFC 6962 Merkle tree; signed C2SP
 * checkpoints commit to its root; inclusion and consistency proofs come from the stored tree;
 * `verifyAuditLog` re-reads everything and names the first place it stops matching. Node-only:
 * the stores use the file system and PostgreSQL.
 * @module
 */
export {
  AUDIT_LIMITS,
  auditEntry,
  readRecord,
  recordBytes,
  type AuditActor,
  type AuditDetailValue,
  type AuditEntry,
  type AuditEntryInput,
  type AuditOutcome,
  type AuditRecord,
} from './entry.js';
export { AuditError, type AuditErrorCode } from './errors.js';
export {
  checkpointVerifierKeys,
  loadOrCreateCheckpointKey,
  rotateCheckpointKey,
  type CheckpointKey,
} from './checkpoint-key.js';
export {
  createAuditLog,
  type AppendOptions,
  type AuditCheckpoint,
  type AuditConsistencyProof,
  type AuditInclusionProof,
  type AuditLog,
  type AuditLogOptions,
  type AuditQueryResult,
  type AuditReceipt,
} from './log.js';
export {
  MAX_QUERY_LIMIT,
  type AuditLogSource,
  type AuditQuery,
  type AuditStore,
  type NodeKey,
  type PendingEntry,
  type StoredRecord,
  type WriteOutcome,
} from './store.js';
export { fileAuditSource } from './file/source.js';
export {
  openFileAuditStore,
  type FileAuditStore,
  type FileAuditStoreOptions,
  type FileAuditStoreStats,
} from './file/store.js';
export {
  verifyAuditLog,
  type AuditMismatch,
  type AuditMismatchKind,
  type AuditVerification,
  type VerifyAuditLogOptions,
} from './verify.js';
export * from './tlog/index.js';
export { openPostgresAuditStore, type PostgresAuditStoreOptions } from './postgres/store.js';
export { auditSetupSql, DEFAULT_AUDIT_WRITER_ROLE, setupAuditDatabase } from './postgres/setup.js';
export { auditOriginOf } from './origin.js';
export { auditInboxDir, drainAuditInbox, leaveAuditEntry } from './inbox.js';
