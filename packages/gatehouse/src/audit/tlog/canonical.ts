/**
 * RFC 8785 JSON Canonicalization Scheme: one byte sequence per JSON value, so an audit entry
 * hashes the same wherever it is re-encoded.
 *
 * The encoder is strict where `JSON.stringify` is forgiving. It refuses anything that is not plain
 * JSON data (`undefined`, functions, symbols, BigInt, `NaN` and the infinities, class instances,
 * `toJSON` objects, sparse arrays, cycles, strings with lone surrogates) instead of dropping or
 * converting it, because an entry whose bytes silently differ from the object the caller holds is
 * worse than no entry. What remains is the RFC's serialisation: members sorted by the UTF-16 code
 * units of their names (§3.2.3), numbers and strings as ECMAScript serialises them (§3.2.2.2,
 * §3.2.2.3), and no whitespace.
 * @see https://www.rfc-editor.org/rfc/rfc8785
 * @module
 */
import { AuditLogError } from './errors.js';

/** A value the canonical encoder accepts. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;

/** A JSON object: a plain object whose own enumerable string keys hold JSON values. */
export interface JsonObject {
  readonly [name: string]: JsonValue;
}

/** Containers nested deeper than this are refused; an audit entry has no use for more. */
export const MAX_JSON_DEPTH = 256;

const encoder = new TextEncoder();
const loneSurrogate = /\p{Surrogate}/u;

/**
 * The RFC 8785 canonical form of `value`, as a string.
 * @throws {AuditLogError} `ERR_AUDIT_ENTRY_INVALID` when `value` is not plain JSON data.
 * @example
 * canonicalJson({ b: [1e30, 4.5], a: 'x' }); // '{"a":"x","b":[1e+30,4.5]}'
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set(), 0);
}

/**
 * The RFC 8785 canonical form of `value`, UTF-8 encoded: the bytes a log leaf is made of.
 * @throws {AuditLogError} `ERR_AUDIT_ENTRY_INVALID` when `value` is not plain JSON data.
 */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}

function serialize(value: unknown, open: Set<object>, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (loneSurrogate.test(value)) refuse('a string holds a lone surrogate');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse('a number is NaN or infinite');
      // ECMAScript Number::toString is the RFC's number format; it also writes -0 as 0.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return serializeContainer(value, open, depth + 1);
    default:
      return refuse(`a ${typeof value} is not a JSON value`);
  }
}

function serializeContainer(value: object, open: Set<object>, depth: number): string {
  if (depth > MAX_JSON_DEPTH) refuse(`containers nest deeper than ${MAX_JSON_DEPTH}`);
  if (open.has(value)) refuse('the value contains a cycle');

  open.add(value);
  const text = Array.isArray(value)
    ? serializeArray(value, open, depth)
    : serializeObject(value, open, depth);
  open.delete(value);

  return text;
}

function serializeArray(value: readonly unknown[], open: Set<object>, depth: number): string {
  const items: string[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) refuse('an array has a hole');
    items.push(serialize(value[i], open, depth));
  }
  return `[${items.join(',')}]`;
}

function serializeObject(value: object, open: Set<object>, depth: number): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    refuse('an object is not a plain object');
  const names = Object.keys(value);
  if (Reflect.ownKeys(value).length !== names.length) {
    refuse('an object has symbol or non-enumerable keys');
  }

  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, which is the order §3.2.3 asks for.
  const members = names
    .sort()
    .map((name) => `${serialize(name, open, depth)}:${serialize(record[name], open, depth)}`);
  return `{${members.join(',')}}`;
}

function refuse(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_ENTRY_INVALID', `Not canonical JSON: ${rule}.`);
}
