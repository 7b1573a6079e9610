/**
 * Reading values back the same way on both dialects.
 */

/**
 * A stored timestamp as an ISO 8601 string with milliseconds: node-postgres parses timestamptz
 * into a Date, SQLite hands back the ISO text that was stored.
 */
export function isoTimestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return new Date(value).toISOString();
  throw new TypeError(`Unexpected timestamp value of type ${typeof value}`);
}

/**
 * Whether a number can be a LIMIT or OFFSET. SQLite reads a negative LIMIT as "no limit", so a
 * store refuses one rather than return every row.
 */
export function isRowCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
