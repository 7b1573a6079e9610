/**
 * Security header profiles as `[name, value]` lists, and the headers that give a server away.
 * @module
 */
import { serializeDictionary, type InnerList } from 'structured-headers';

import { createCsp } from './csp.js';

/** Response headers as `[name, value]` pairs, in the order they are set. */
export type HeaderList = readonly (readonly [string, string])[];

// Features an API response never needs. `interest-cohort` (FLoC) is left out: it was withdrawn
// and browsers now warn about it; `browsing-topics` replaced it.
const DISABLED_FEATURES = [
  'accelerometer',
  'browsing-topics',
  'camera',
  'geolocation',
  'gyroscope',
  'magnetometer',
  'microphone',
  'payment',
  'usb',
];

const noFeature: InnerList = [[], new Map()];

/**
 * The headers every response gets, page or API: no MIME sniffing, no framing, no referrer, no
 * cross-origin reads or window sharing, and the powerful browser features turned off
 * (`Permissions-Policy` is a structured-field dictionary of empty allowlists).
 */
export const SECURITY_HEADERS: HeaderList = Object.freeze([
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  [
    'Permissions-Policy',
    serializeDictionary(new Map(DISABLED_FEATURES.map((feature) => [feature, noFeature]))),
  ],
] as const);

/** The CSP of a response that is data, not a document: it may load, run or frame nothing. */
export const API_CSP = createCsp({
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
}).serialize();

/**
 * `Cache-Control: no-store`, for authenticated responses and every response of an auth route,
 * so that no shared or browser cache keeps a token or a user's data.
 */
export const NO_STORE = Object.freeze(['Cache-Control', 'no-store'] as const);

const API_HEADERS: HeaderList = Object.freeze([
  ['Content-Security-Policy', API_CSP],
  ...SECURITY_HEADERS,
]);
const API_HEADERS_NO_STORE: HeaderList = Object.freeze([...API_HEADERS, NO_STORE]);

/**
 * The API profile: `SECURITY_HEADERS` and `API_CSP`, and `Cache-Control: no-store` when
 * `noStore` is set.
 *
 * @example
 * applyHeaders(response.headers, apiHeaders({ noStore: context.user !== undefined }));
 */
export function apiHeaders(options: { readonly noStore?: boolean } = {}): HeaderList {
  return options.noStore === true ? API_HEADERS_NO_STORE : API_HEADERS;
}

/**
 * Sets each header, replacing a value already there: the profile wins over a handler's choice,
 * so no route can weaken it by accident. Throws a `TypeError` on immutable headers (those of a
 * `Response` from `fetch()` or `Response.redirect()`): copy the response first.
 */
export function applyHeaders(headers: Headers, list: HeaderList): void {
  for (const [name, value] of list) headers.set(name, value);
}

/**
 * Headers that name the server, framework or runtime version, and tell an attacker which
 * exploits to try. Only these exact names are removed: Next.js' routing signals (`x-middleware-*`,
 * `x-nextjs-rewrite`, `x-nextjs-redirect`, `x-nextjs-data`) are left alone, since removing them
 * from a proxy's response breaks rewrites and redirects.
 */
export const FINGERPRINT_HEADERS: readonly string[] = Object.freeze([
  'server',
  'x-powered-by',
  'x-aspnet-version',
  'x-aspnetmvc-version',
  'x-generator',
  'x-runtime',
  'x-nextjs-cache',
  'x-nextjs-prerender',
  'x-nextjs-stale-time',
]);

/**
 * Removes `FINGERPRINT_HEADERS` from a response's headers. A header the server adds after the
 * response leaves the app (Next.js' `X-Powered-By`, a proxy's `Server`) is out of its reach:
 * turn those off where they are added (`poweredByHeader: false` in `next.config`).
 */
export function removeFingerprintHeaders(headers: Headers): void {
  for (const name of FINGERPRINT_HEADERS) headers.delete(name);
}
