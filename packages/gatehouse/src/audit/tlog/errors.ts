/**
 * The error the tamper-evidence core throws. It is a `GatehouseError`: `code` is stable and
 * safe to branch on, and `message` names the rule that failed without echoing the input.
 * @module
 */
import { GatehouseError } from '../../errors.js';

/** Why the tamper-evidence core refused a value. */
export type AuditLogErrorCode =
  /** A value handed to the canonical JSON encoder is not plain JSON data. */
  | 'ERR_AUDIT_ENTRY_INVALID'
  /** A tree size, leaf index, hash or builder state is out of range or the wrong length. */
  | 'ERR_AUDIT_TREE_INVALID'
  /** A checkpoint body breaks the C2SP tlog-checkpoint format. */
  | 'ERR_AUDIT_CHECKPOINT_INVALID'
  /** A note's text or signature block breaks the C2SP signed-note format. */
  | 'ERR_AUDIT_NOTE_INVALID'
  /** A note carries no valid signature from any known key. */
  | 'ERR_AUDIT_NOTE_UNVERIFIED'
  /** A signature from a known key failed to verify, so the whole note is refused. */
  | 'ERR_AUDIT_NOTE_SIGNATURE'
  /** A key, key name or key string is malformed or of the wrong type. */
  | 'ERR_AUDIT_KEY_INVALID';

/** Thrown by the canonical encoder, the tree builder, the checkpoint parser and note handling. */
export class AuditLogError extends GatehouseError {
  declare readonly code: AuditLogErrorCode;

  constructor(code: AuditLogErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
