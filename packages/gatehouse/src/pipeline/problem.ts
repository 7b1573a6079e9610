import type { ValidationIssue } from '../validation/issues.js';

/**
 * The problem types the pipeline answers with (RFC 9457). Each `type` is a stable URI that
 * clients may branch on; `docs/problems.md` describes every one.
 */
export const problemTypes = {
  invalidRequest: { type: 'urn:gatehouse:problem:invalid-request', title: 'Invalid request' },
  unauthorized: { type: 'urn:gatehouse:problem:unauthorized', title: 'Unauthorized' },
  forbidden: { type: 'urn:gatehouse:problem:forbidden', title: 'Forbidden' },
  notFound: { type: 'urn:gatehouse:problem:not-found', title: 'Not found' },
  methodNotAllowed: {
    type: 'urn:gatehouse:problem:method-not-allowed',
    title: 'Method not allowed',
  },
  payloadTooLarge: { type: 'urn:gatehouse:problem:payload-too-large', title: 'Payload too large' },
  unsupportedMediaType: {
    type: 'urn:gatehouse:problem:unsupported-media-type',
    title: 'Unsupported media type',
  },
  notImplemented: { type: 'urn:gatehouse:problem:not-implemented', title: 'Not implemented' },
  rateLimited: { type: 'urn:gatehouse:problem:rate-limited', title: 'Too many requests' },
  internal: { type: 'urn:gatehouse:problem:internal', title: 'Internal error' },
  unavailable: { type: 'urn:gatehouse:problem:unavailable', title: 'Service unavailable' },
} as const;

export type ProblemKind = keyof typeof problemTypes;

/** The members of a problem body beyond `type` and `title`. */
export interface ProblemDetails {
  readonly status: number;
  readonly detail?: string;
  /** The request id, so a client's report can be matched with the server log. */
  readonly requestId?: string;
  readonly errors?: readonly ValidationIssue[];
  /** The rate-limit policies a 429 answers for. */
  readonly policies?: readonly string[];
}

/** The media type of every error body (RFC 9457 §3). */
export const PROBLEM_JSON = 'application/problem+json';

/**
 * Builds an `application/problem+json` response. Handlers use the request context's `problem`,
 * which fills in the request id.
 *
 * @example problem('notFound', { status: 404, detail: 'No note has this id.' })
 */
export function problem(kind: ProblemKind, details: ProblemDetails): Response {
  const { type, title } = problemTypes[kind];
  const body = { type, title, ...details };
  return new Response(JSON.stringify(body), {
    status: details.status,
    headers: { 'content-type': PROBLEM_JSON },
  });
}
