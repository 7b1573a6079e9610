/**
 * The CORS policy of an API: which origins may read its answers from a browser, with which
 * request headers and methods, and whether cookies go along. Used by the pipeline for every
 * route; a route may replace it with its own declaration.
 * @module
 */
import { GatehouseError } from '../errors.js';
import { createOriginMatcher, parseOriginRule } from './origins.js';

/** Options of `createCorsPolicy`. */
export interface CorsOptions {
  /**
   * Allowed origins: exact (`https://app.example.com`) or one-label https patterns
   * (`https://*.example.com`). `*` allows any origin without credentials, outside production
   * only. `null` is never allowed.
   */
  readonly origins: readonly string[];
  /** Lets allowed origins send cookies and read the answers (`Allow-Credentials`). @default false */
  readonly credentials?: boolean;
  /** Request headers a preflight allows, never reflected from the request. @default ['authorization', 'content-type'] */
  readonly allowHeaders?: readonly string[];
  /** Answer headers a browser script may read. @default the rate-limit headers and the request id */
  readonly exposeHeaders?: readonly string[];
  /** How long a browser keeps a preflight's answer; at most 86400. @default 7200 (Chromium's cap) */
  readonly maxAgeSeconds?: number;
  /** Refuses `*`: production allowlists are explicit. @default false */
  readonly production?: boolean;
}

/** The headers a browser script may read by default: rate limits and the request id. */
export const DEFAULT_EXPOSED_HEADERS: readonly string[] = Object.freeze([
  'x-request-id',
  'ratelimit',
  'ratelimit-policy',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** A checked CORS policy. */
export interface CorsPolicy {
  /** Whether `origin` (an `Origin` header value) may read answers. */
  allows(origin: string | null): boolean;
  readonly credentials: boolean;
  /** The headers of a preflight's answer for an allowed origin and the methods it may use. */
  preflightHeaders(origin: string, methods: readonly string[]): [string, string][];
  /** The headers of an answer to an allowed origin. */
  answerHeaders(origin: string): [string, string][];
}

/**
 * Checks and builds a CORS policy. Throws `ERR_CONFIG_INVALID` for an entry that is not an
 * origin or pattern, `*` with credentials (any site could act as the user), header names that
 * are not tokens, or a max age outside 0–86400; `ERR_CONFIG_UNSAFE` for `*` in production.
 */
export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  const credentials = options.credentials === true;
  const any = options.origins.some((entry) => entry.trim() === '*');
  if (any && options.production === true) {
    throw new GatehouseError(
      'ERR_CONFIG_UNSAFE',
      'CORS: allowing every origin (*) is refused in production; list the origins',
    );
  }
  if (any && credentials) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'CORS: every origin (*) with credentials would let any site act as the user',
    );
  }
  const rules = options.origins.filter((entry) => entry.trim() !== '*').map(parseOriginRule);
  const matches = createOriginMatcher(rules);

  const allowHeaders = headerList(options.allowHeaders ?? ['authorization', 'content-type']);
  const exposeHeaders = headerList(options.exposeHeaders ?? DEFAULT_EXPOSED_HEADERS);
  const maxAge = options.maxAgeSeconds ?? 7200;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0 || maxAge > 86_400) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'CORS: the max age is 0 to 86400 seconds');
  }

  const allowOrigin = (origin: string) => (any && !matches(origin) ? '*' : origin);
  const shared = (origin: string): [string, string][] => {
    const headers: [string, string][] = [['access-control-allow-origin', allowOrigin(origin)]];
    if (credentials) headers.push(['access-control-allow-credentials', 'true']);
    return headers;
  };

  return {
    credentials,
    allows: (origin) => matches(origin) || (any && origin !== null && origin !== 'null'),
    preflightHeaders(origin, methods) {
      const headers = shared(origin);
      headers.push(['access-control-allow-methods', methods.join(', ')]);
      if (allowHeaders.length > 0) {
        headers.push(['access-control-allow-headers', allowHeaders.join(', ')]);
      }
      headers.push(['access-control-max-age', `${maxAge}`]);
      return headers;
    },
    answerHeaders(origin) {
      const headers = shared(origin);
      if (exposeHeaders.length > 0) {
        headers.push(['access-control-expose-headers', exposeHeaders.join(', ')]);
      }
      return headers;
    },
  };
}

function headerList(names: readonly string[]): string[] {
  return names.map((name) => {
    const lower = name.trim().toLowerCase();
    if (!TOKEN.test(lower)) {
      throw new GatehouseError('ERR_CONFIG_INVALID', 'CORS: a header name is not a token');
    }
    return lower;
  });
}
