/**
 * Audit entries: the fixed set of fields one record holds, and the normaliser that makes any
 * caller's values safe to store and to show. Control characters (C0, DEL, C1), line and
 * paragraph separators and bidirectional overrides become `\uXXXX` text, so an entry can neither
 * forge a line in a log viewer nor reorder what a terminal shows; lone surrogates become U+FFFD;
 * every string is cut to a bound. There is deliberately no free-form data bag: `details` takes a
 * few short scalar values under names that do not look like credentials.
 * @module
 */
import { z } from 'zod';

import { AuditLogError } from './tlog/errors.js';
import { canonicalBytes } from './tlog/index.js';

/** Who acted: a signed-in user, a calling service, or nobody known. */
export interface AuditActor {
  readonly kind: 'user' | 'service' | 'anonymous';
  /** The user or service id; absent for anonymous callers. */
  readonly id?: string;
}

/** How the action ended: done, failed on the server's side, or refused by policy. */
export type AuditOutcome = 'success' | 'failure' | 'denied';

/** A scalar a `details` member may hold. */
export type AuditDetailValue = string | number | boolean;

/** One audit entry as stored, after `auditEntry` has normalised it. */
export interface AuditEntry {
  readonly actor: AuditActor;
  /** What was attempted, as a dotted name: `notes.create`, `auth.login`. */
  readonly action: string;
  /** What it was attempted on: `notes/42`, `users/7/sessions`. */
  readonly resource: string;
  readonly outcome: AuditOutcome;
  /** The client address the pipeline resolved (trusted proxies only). */
  readonly ip: string;
  readonly userAgent: string;
  /** UTC, ISO 8601 with milliseconds: `2026-01-31T12:00:00.000Z`. */
  readonly timestamp: string;
  readonly requestId: string;
  /** Why a denial or failure happened, in words meant for a reviewer. */
  readonly reason?: string;
  /** A few named scalars (an object id, a count); never a credential or a body. */
  readonly details?: Readonly<Record<string, AuditDetailValue>>;
}

/** An entry as stored in the log: the entry and its position, which is its Merkle leaf index. */
export type AuditRecord = AuditEntry & { readonly seq: number };

/** What `auditEntry` accepts: an entry whose timestamp may be a `Date`, or left to the clock. */
export type AuditEntryInput = Omit<AuditEntry, 'timestamp'> & {
  readonly timestamp?: string | Date;
};

/** The bounds `auditEntry` applies, in UTF-16 code units after escaping. */
export const AUDIT_LIMITS = {
  actorId: 128,
  action: 128,
  resource: 512,
  ip: 64,
  userAgent: 512,
  requestId: 128,
  reason: 512,
  detailKeys: 16,
  detailValue: 256,
} as const;

const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Detail names refused outright: the caller must never log a credential or a body. */
const CREDENTIAL_NAME = /pass(?:word|wd|phrase)?|secret|token|cookie|authori[sz]ation|body|otp/i;
const TRUNCATED = '…';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const inputSchema = z.object({
  actor: z.object({
    kind: z.enum(['user', 'service', 'anonymous']),
    id: z.string().optional(),
  }),
  action: z.string().min(1),
  resource: z.string(),
  outcome: z.enum(['success', 'failure', 'denied']),
  ip: z.string(),
  userAgent: z.string(),
  timestamp: z.union([z.date(), z.iso.datetime({ offset: true })]).optional(),
  requestId: z.string(),
  reason: z.string().optional(),
  details: z
    .record(z.string(), z.union([z.string(), z.number().refine(Number.isFinite), z.boolean()]))
    .optional(),
});

/**
 * Checks and normalises an entry: escapes unsafe characters, bounds every string, writes the
 * timestamp as UTC ISO 8601 (taking `now` when the input has none) and drops unknown fields.
 * @throws {AuditLogError} `ERR_AUDIT_ENTRY_INVALID` when a field is missing or of the wrong
 *   type, a user or service actor has no id, the timestamp is not a date, or `details` has too
 *   many members, a badly formed name or a name that looks like a credential.
 * @example
 * auditEntry({
 *   actor: { kind: 'user', id: 'u_42' }, action: 'notes.delete', resource: 'notes/7',
 *   outcome: 'denied', ip: '203.0.113.9', userAgent: 'curl/8.5', requestId: 'r_1',
 *   reason: 'not the owner',
 * });
 */
export function auditEntry(input: AuditEntryInput, now: () => number = Date.now): AuditEntry {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) refuse('a field is missing or of the wrong type');

  const { actor, timestamp, reason, details } = parsed.data;
  if (actor.kind !== 'anonymous' && (actor.id === undefined || actor.id === '')) {
    refuse('a user or service actor needs an id');
  }
  const date = timestamp === undefined ? new Date(now()) : new Date(timestamp);
  if (Number.isNaN(date.getTime())) refuse('the timestamp is not a valid date');

  return {
    actor:
      actor.id === undefined
        ? { kind: actor.kind }
        : { kind: actor.kind, id: clean(actor.id, AUDIT_LIMITS.actorId) },
    action: clean(parsed.data.action, AUDIT_LIMITS.action),
    resource: clean(parsed.data.resource, AUDIT_LIMITS.resource),
    outcome: parsed.data.outcome,
    ip: clean(parsed.data.ip, AUDIT_LIMITS.ip),
    userAgent: clean(parsed.data.userAgent, AUDIT_LIMITS.userAgent),
    timestamp: date.toISOString(),
    requestId: clean(parsed.data.requestId, AUDIT_LIMITS.requestId),
    ...(reason === undefined ? {} : { reason: clean(reason, AUDIT_LIMITS.reason) }),
    ...(details === undefined ? {} : { details: cleanDetails(details) }),
  };
}

/** The canonical bytes of a stored record, `{ seq, ...entry }`: the bytes its leaf hashes. */
export function recordBytes(seq: number, entry: AuditEntry): Uint8Array {
  return canonicalBytes({ seq, ...entry });
}

/**
 * Reads one stored record back from its bytes: `undefined` unless they are a JSON object with a
 * non-negative integer `seq` whose canonical form is exactly those bytes. The other fields are
 * taken as stored; `verifyAuditLog`, not this function, is what vouches for them.
 */
export function readRecord(bytes: Uint8Array): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;

  const seq = (value as { seq?: unknown }).seq;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
  try {
    if (!sameBytes(canonicalBytes(value), bytes)) return undefined;
  } catch {
    return undefined;
  }
  return value as AuditRecord;
}

/**
 * Escapes unsafe characters as `\uXXXX` text, replaces lone surrogates, and cuts the result to
 * `max` code units, ending a cut string with `…` and never splitting a surrogate pair.
 */
export function clean(text: string, max: number): string {
  let escaped = '';
  // `for…of` walks code points, and yields a lone surrogate on its own.
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c.length === 1 && code >= 0xd800 && code <= 0xdfff) escaped += '\ufffd';
    else if (isUnsafe(code)) escaped += `\\u${code.toString(16).padStart(4, '0')}`;
    else escaped += c;
  }
  if (escaped.length <= max) return escaped;

  let end = max - TRUNCATED.length;
  const last = escaped.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return escaped.slice(0, end) + TRUNCATED;
}

/** C0, DEL and C1 controls, line and paragraph separators, and bidirectional controls. */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function cleanDetails(details: Record<string, AuditDetailValue>): Record<string, AuditDetailValue> {
  const names = Object.keys(details);
  if (names.length > AUDIT_LIMITS.detailKeys) {
    refuse(`details hold more than ${AUDIT_LIMITS.detailKeys} members`);
  }

  const out: Record<string, AuditDetailValue> = {};
  for (const name of names) {
    if (!DETAIL_KEY.test(name)) refuse('a details name is not a short plain name');
    if (CREDENTIAL_NAME.test(name)) refuse('a details name looks like a credential or a body');
    const value = details[name] as AuditDetailValue;
    out[name] = typeof value === 'string' ? clean(value, AUDIT_LIMITS.detailValue) : value;
  }
  return out;
}

function refuse(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_ENTRY_INVALID', `Invalid audit entry: ${rule}.`);
}
