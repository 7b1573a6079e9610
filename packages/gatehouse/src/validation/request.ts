import { strictObject, type ZodType } from 'zod';

import { decodeUtf8, readBodyWithLimit } from './body.js';
import type { ValidationIssue } from './issues.js';
import { parseJsonStrict } from './json.js';
import { isJsonContentType } from './media-type.js';
import { validateInput } from './validate.js';

/** The schemas and limits one route applies to its requests. */
export interface RequestSchemas {
  readonly params?: ZodType | undefined;
  readonly query?: ZodType | undefined;
  readonly body?: ZodType | undefined;
  /** JSON media types the body may be sent as. @default ['application/json'] */
  readonly mediaTypes?: readonly string[] | undefined;
  readonly bodyLimit: number;
  readonly maxJsonDepth: number;
}

/** The validated parts of a request. */
export interface ValidRequest {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/** Why a request was refused before its handler ran; the HTTP edge turns it into a problem. */
export type Refusal =
  | { readonly status: 400; readonly issues: readonly ValidationIssue[] }
  | { readonly status: 413; readonly limit: number }
  | { readonly status: 415; readonly mediaTypes: readonly string[] };

export type RequestCheck =
  | { readonly ok: true; readonly value: ValidRequest }
  | { readonly ok: false; readonly refusal: Refusal };

const JSON_ONLY = ['application/json'] as const;

// A route without a schema for a part accepts nothing in it: no stray query parameters.
const emptyObject = strictObject({});

/**
 * Validates path parameters, query and body, in that order, and reports every schema issue of
 * the params and query together. The body is read only when the route has a body schema, and
 * only after its media type and declared length pass.
 */
export async function checkRequest(
  request: Request,
  url: URL,
  rawParams: Readonly<Record<string, string | string[]>>,
  schemas: RequestSchemas,
): Promise<RequestCheck> {
  const issues: ValidationIssue[] = [];

  const params = validateInput(schemas.params ?? emptyObject, rawParams, 'params');
  if (!params.ok) issues.push(...params.issues);

  const query = validateInput(
    schemas.query ?? emptyObject,
    queryToObject(url.searchParams),
    'query',
  );
  if (!query.ok) issues.push(...query.issues);

  if (!params.ok || !query.ok) return { ok: false, refusal: { status: 400, issues } };
  if (!schemas.body)
    return { ok: true, value: { params: params.value, query: query.value, body: undefined } };

  const body = await readJsonBody(request, schemas.body, schemas);
  if (!body.ok) return body;
  return { ok: true, value: { params: params.value, query: query.value, body: body.value } };
}

async function readJsonBody(
  request: Request,
  schema: ZodType,
  limits: RequestSchemas,
): Promise<{ ok: true; value: unknown } | { ok: false; refusal: Refusal }> {
  const mediaTypes = limits.mediaTypes ?? JSON_ONLY;
  if (!isJsonContentType(request.headers.get('content-type'), mediaTypes)) {
    return { ok: false, refusal: { status: 415, mediaTypes } };
  }

  const read = await readBodyWithLimit(request, limits.bodyLimit);
  if (!read.ok) {
    if (read.reason === 'too_large')
      return { ok: false, refusal: { status: 413, limit: limits.bodyLimit } };
    return refuse('body', 'unreadable_body', 'The request body could not be read.');
  }

  const text = decodeUtf8(read.bytes);
  if (text === undefined)
    return refuse('body', 'invalid_encoding', 'The request body is not valid UTF-8.');

  const parsed = parseJsonStrict(text, { maxDepth: limits.maxJsonDepth });
  if (!parsed.ok) return { ok: false, refusal: { status: 400, issues: [parsed.issue] } };

  const valid = validateInput(schema, parsed.value, 'body');
  if (!valid.ok) return { ok: false, refusal: { status: 400, issues: valid.issues } };
  return { ok: true, value: valid.value };
}

function refuse(path: string, code: string, message: string) {
  return {
    ok: false as const,
    refusal: { status: 400 as const, issues: [{ path, code, message }] },
  };
}

/**
 * The query as an object for its schema: a repeated key becomes an array. The object has no
 * prototype, so a `__proto__` parameter is an ordinary (and refused) key.
 */
export function queryToObject(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of search) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}
