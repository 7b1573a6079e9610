import type { IncomingMessage } from 'node:http';

import { apiHeaders, applyHeaders } from '../headers/profiles.js';
import { problem } from '../pipeline/problem.js';
import { REQUEST_ID_HEADER } from '../pipeline/request-id.js';
import { HTTP_METHODS } from '../pipeline/route.js';

const KNOWN_METHODS = new Set<string>(HTTP_METHODS);

/**
 * Refuses, before any framework sees them, requests a framework would answer with a bare error
 * page: a method nobody implements (Next.js answers an empty 400) and a target that is not a
 * decodable origin-form path (Next.js answers 500). The refusals carry the API header profile.
 * Returns `undefined` for everything else.
 */
export function screenRequest(req: IncomingMessage): Response | undefined {
  const method = req.method ?? '';

  // RFC 9110 §15.6.2: a method the server does not implement at all is a 501, not a 405.
  if (!KNOWN_METHODS.has(method)) {
    return refusal('notImplemented', 501, `Supported methods: ${HTTP_METHODS.join(', ')}.`);
  }

  const target = req.url ?? '';
  if (!target.startsWith('/') || target.startsWith('//') || !decodable(target)) {
    return refusal('invalidRequest', 400, 'The request target is not a valid path.', [
      { path: 'path', code: 'malformed_path', message: 'The path is not valid.' },
    ]);
  }
  return undefined;
}

function decodable(target: string): boolean {
  const end = target.search(/[?#]/);
  try {
    decodeURIComponent(end === -1 ? target : target.slice(0, end));
    return true;
  } catch {
    return false;
  }
}

function refusal(
  kind: 'notImplemented' | 'invalidRequest',
  status: number,
  detail: string,
  errors?: { path: string; code: string; message: string }[],
): Response {
  const requestId = crypto.randomUUID();
  const response = problem(kind, { status, detail, requestId, ...(errors ? { errors } : {}) });
  applyHeaders(response.headers, apiHeaders());
  response.headers.set(REQUEST_ID_HEADER, requestId);
  return response;
}
