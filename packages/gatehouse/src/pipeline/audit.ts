/**
 * The pipeline's side of the audit layer: one entry per request of every route that names an
 * audit action, written by the pipeline after the answer is decided, so no handler can forget.
 * Where the entries go (a tamper-evident log, durable or not) is the recorder's business.
 * @module
 */
import type { AuditDeclaration } from './route.js';

/** Who acted: a signed-in user, a service that signed its request, or nobody known. */
export type AuditActor =
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'service'; readonly id: string }
  | { readonly kind: 'anonymous' };

/** One audit entry as the pipeline writes it. */
export interface AuditRecord {
  readonly actor: AuditActor;
  /** The route's declared action, such as `note.update`. */
  readonly action: string;
  /** What was acted on: the request's method and path (`POST /api/notes/0b8c…`). */
  readonly resource: string;
  readonly outcome: 'success' | 'failure' | 'denied';
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
  /** When the answer was decided, UTC, ISO 8601 with milliseconds. */
  readonly timestamp: string;
  readonly requestId: string;
  /** Why it failed or was denied, from the answer's status (`rate-limited`, `forbidden`…). */
  readonly reason?: string;
}

/** Where the pipeline hands its entries. */
export interface AuditRecorder {
  /**
   * Whether an entry can be made durable right now. Routes whose action is `required` do not
   * run while it cannot: they fail closed with 503.
   */
  available(): boolean;
  /**
   * Records an entry. With `durable`, resolves once the entry is on stable storage; otherwise
   * once it is queued. Rejects when it cannot be recorded.
   */
  record(entry: AuditRecord, options: { readonly durable: boolean }): Promise<void>;
}

/** The declaration's settings with their defaults. */
export function auditSettings(declaration: string | AuditDeclaration) {
  return typeof declaration === 'string'
    ? { action: declaration, durable: false, required: false }
    : {
        action: declaration.action,
        durable: declaration.durable === true || declaration.required === true,
        required: declaration.required === true,
      };
}

/** Success for 1xx–3xx; denied when the caller was refused; failure otherwise. */
export function outcomeOf(status: number): AuditRecord['outcome'] {
  if (status < 400) return 'success';
  return DENIED.has(status) ? 'denied' : 'failure';
}

const DENIED: ReadonlySet<number> = new Set([401, 403, 429]);

const REASONS: Readonly<Record<number, string>> = {
  400: 'invalid-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'unavailable',
};

/** A short reason for a status that is not a success. */
export function reasonOf(status: number): string | undefined {
  if (status < 400) return undefined;
  return REASONS[status] ?? (status >= 500 ? 'error' : 'refused');
}
