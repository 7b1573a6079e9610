import type { AuditErrorCode } from './audit/errors.js';
import type { AuditLogErrorCode } from './audit/tlog/errors.js';

/**
 * The one error type the library throws (the audit log's `AuditError` and `AuditLogError` are
 * kinds of it). `code` is stable and safe to branch on; `message` says
 * which rule failed and never carries a secret or the input that failed it.
 */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: GatehouseErrorCode;

  constructor(code: GatehouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export type GatehouseErrorCode =
  | AuditErrorCode
  | AuditLogErrorCode
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONFIG_UNSAFE'
  | 'ERR_ROUTE_INVALID'
  | 'ERR_TRUSTED_PROXY_INVALID'
  | 'ERR_SQL_MIGRATION'
  | 'ERR_SESSION_STORE'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_FILE_UNSAFE'
  | 'ERR_KEY_STATE'
  | 'ERR_TOKEN_SUBJECT_INVALID'
  | 'ERR_RATE_LIMIT_INVALID'
  | 'ERR_RATE_LIMIT_STORE'
  | 'ERR_SECRET_NAME_INVALID'
  | 'ERR_SECRET_READ_ONLY'
  | 'ERR_SECRET_FILE_UNSAFE'
  | 'ERR_SECRET_DENIED'
  | 'ERR_SECRET_UNAVAILABLE'
  | 'ERR_SECRET_INVALID';
