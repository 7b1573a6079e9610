/**
 * The error the audit log's engine and stores throw, beside `AuditLogError` from the
 * tamper-evidence core. `code` is stable and safe to branch on; `message` names the rule that
 * failed and never echoes an entry, a key or a connection string.
 * @module
 */
import { GatehouseError } from '../errors.js';

/** Why the audit log refused or could not do something. */
export type AuditErrorCode =
  /** The store cannot be reached, and the entry was required or could not be spooled. */
  | 'ERR_AUDIT_UNAVAILABLE'
  /** The log, or the store under it, has been closed. */
  | 'ERR_AUDIT_CLOSED'
  /** What is stored does not read back as a log: run `verifyAuditLog` to find where. */
  | 'ERR_AUDIT_STORE_CORRUPT'
  /** An option, a query or a proof request is out of range. */
  | 'ERR_AUDIT_OPTIONS_INVALID'
  /** A checkpoint key file is missing, malformed or readable by others. */
  | 'ERR_AUDIT_KEY_FILE';

/** Thrown by `createAuditLog`, the stores, and `loadOrCreateCheckpointKey`. */
export class AuditError extends GatehouseError {
  declare readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
