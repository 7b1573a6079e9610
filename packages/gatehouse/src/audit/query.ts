/**
 * Checking an admin query's filter once, and matching records against it where a store scans.
 * @module
 */
import type { AuditRecord } from './entry.js';
import { AuditError } from './errors.js';
import { MAX_QUERY_LIMIT, type AuditQuery } from './store.js';

/**
 * Refuses a filter a store should not run: a limit outside 1–1000, an `after` that is not a
 * sequence number, or a date that is not one.
 * @throws {AuditError} `ERR_AUDIT_OPTIONS_INVALID`.
 */
export function checkQuery(filter: AuditQuery): void {
  const { limit, after, from, to } = filter;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    invalid(`the limit is an integer from 1 to ${MAX_QUERY_LIMIT}`);
  }
  if (after !== undefined && (!Number.isSafeInteger(after) || after < -1)) {
    invalid('after is a sequence number');
  }
  for (const date of [from, to]) {
    if (date !== undefined && !(date instanceof Date && Number.isFinite(date.getTime()))) {
      invalid('from and to are valid dates');
    }
  }
}

/** Whether `record` passes every condition of `filter` other than `limit`. */
export function matchesQuery(record: AuditRecord, filter: AuditQuery): boolean {
  if (filter.after !== undefined && record.seq <= filter.after) return false;
  if (filter.actor !== undefined && record.actor.id !== filter.actor) return false;
  if (filter.action !== undefined && record.action !== filter.action) return false;
  if (filter.resource !== undefined && record.resource !== filter.resource) return false;
  if (filter.outcome !== undefined && record.outcome !== filter.outcome) return false;
  // Stored timestamps are all `toISOString()` output, so they order as strings.
  if (filter.from !== undefined && record.timestamp < filter.from.toISOString()) return false;
  if (filter.to !== undefined && record.timestamp >= filter.to.toISOString()) return false;
  return true;
}

function invalid(rule: string): never {
  throw new AuditError('ERR_AUDIT_OPTIONS_INVALID', `Invalid audit query: ${rule}.`);
}
