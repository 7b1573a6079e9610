import { GatehouseError } from '../../errors.js';

/**
 * Reading stored session values back, for both stores: a value of the wrong type means the
 * storage was changed behind the store's back, and is reported, never guessed at.
 */

/** A stored text value. */
export function storedText(value: unknown, where: string): string {
  if (typeof value !== 'string') throw corrupt(where);
  return value;
}

/**
 * A stored time in milliseconds. node-postgres returns int8 as a string (it may exceed 2^53) and
 * Redis returns every value as a string; millisecond timestamps are always safe integers.
 */
export function storedMillis(value: unknown, where: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw corrupt(where);
  return number;
}

/** The error for a stored value of the wrong shape. */
export function corrupt(where: string): GatehouseError {
  return new GatehouseError('ERR_SESSION_STORE', `${where} holds a malformed session value`);
}
