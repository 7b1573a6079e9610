/**
 * The CSP source-expression grammar (CSP Level 3 §2.3.1), and what each directive accepts.
 * @module
 */

/**
 * Stands for the per-request nonce in `script-src`, `script-src-elem`, `style-src` or
 * `style-src-elem`; `CspPolicy.serialize(nonce)` writes `'nonce-<nonce>'` in its place.
 */
export const NONCE: unique symbol = Symbol('gatehouse.csp.nonce');

/** One source expression (`"'self'"`, `'https:'`, `'https://cdn.example.com'`), or `NONCE`. */
export type Source = string | typeof NONCE;

const KEYWORDS: ReadonlySet<string> = new Set([
  "'self'",
  "'none'",
  "'unsafe-inline'",
  "'unsafe-eval'",
  "'strict-dynamic'",
  "'unsafe-hashes'",
  "'report-sample'",
  "'wasm-unsafe-eval'",
  "'inline-speculation-rules'",
]);

// Nonce and hash values in the CSP grammar accept both base64 alphabets (§2.3.1 base64-value).
const BASE64_VALUE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const NONCE_SOURCE = /^'nonce-([^']*)'$/i;
const HASH_SOURCE = /^'(sha256|sha384|sha512)-([^']*)'$/i;
const UNQUOTED_NONCE_OR_HASH = /^(nonce|sha256|sha384|sha512)-/i;
const QUOTED_PREFIX = /^'(nonce|sha256|sha384|sha512)-/i;
const DIGEST_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };
const MIN_NONCE_CHARS = 22; // 16 bytes in base64, without padding
const MAX_NONCE_CHARS = 256;

const SCHEME = '[A-Za-z][A-Za-z0-9+.-]*';
const SCHEME_SOURCE = new RegExp(`^${SCHEME}:$`);
// [ scheme "://" ] host [ ":" port ] [ path ], where a path keeps to RFC 3986 pchar without ";"
// and ",", which CSP requires percent-encoded.
const HOST = String.raw`(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)`;
const PORT = String.raw`(?::(?:\d{1,5}|\*))`;
const PATH = String.raw`(?:/[A-Za-z0-9\-._~!$&'()*+=:@%/]*)`;
const HOST_SOURCE = new RegExp(`^(?:${SCHEME}://)?${HOST}${PORT}?${PATH}?$`);
const FORBIDDEN_CHARACTERS = /[\s;,\p{Cc}]/u;

const NONCE_DIRECTIVES = new Set(['script-src', 'script-src-elem', 'style-src', 'style-src-elem']);
const NO_VALUE = new Set(['upgrade-insecure-requests']);
const SANDBOX_TOKENS: ReadonlySet<string> = new Set([
  'allow-downloads',
  'allow-forms',
  'allow-modals',
  'allow-orientation-lock',
  'allow-pointer-lock',
  'allow-popups',
  'allow-popups-to-escape-sandbox',
  'allow-presentation',
  'allow-same-origin',
  'allow-scripts',
  'allow-storage-access-by-user-activation',
  'allow-top-navigation',
  'allow-top-navigation-by-user-activation',
  'allow-top-navigation-to-custom-protocols',
]);
// A Reporting-Endpoints dictionary key (RFC 9651 sf-key), since report-to names one.
const REPORT_GROUP = /^[a-z*][a-z0-9_\-.*]*$/;
const TRUSTED_TYPES_POLICY = /^[A-Za-z0-9\-#=_/@.%]+$/;

/** Whether a string is base64 of at least 128 bits, as a per-request nonce must be. */
export function isNonce(value: string): boolean {
  const bare = value.replace(/=+$/, '');
  return (
    BASE64_VALUE.test(value) && bare.length >= MIN_NONCE_CHARS && bare.length <= MAX_NONCE_CHARS
  );
}

/** Why a directive's sources are refused, or `undefined` when they are all valid for it. */
export function checkSources(directive: string, sources: readonly Source[]): string | undefined {
  for (const source of sources) {
    if (source === NONCE) {
      if (!NONCE_DIRECTIVES.has(directive)) return 'the NONCE marker belongs in script or style';
      continue;
    }
    if (typeof source !== 'string') return 'a source must be a string';
    if (source === '') return 'a source is empty';
    if (FORBIDDEN_CHARACTERS.test(source)) {
      return 'a source holds whitespace, ";", "," or a control character';
    }
  }

  if (NO_VALUE.has(directive)) return sources.length > 0 ? 'it takes no value' : undefined;
  const strings = sources as readonly string[];
  switch (directive) {
    case 'sandbox':
      return strings.every((token) => SANDBOX_TOKENS.has(token))
        ? undefined
        : 'unknown sandbox token';
    case 'report-uri':
      if (strings.length === 0) return 'it needs a URL';
      return strings.every(isReportUrl) ? undefined : 'it takes absolute paths or https URLs';
    case 'report-to':
      return strings.length === 1 && REPORT_GROUP.test(strings[0] ?? '')
        ? undefined
        : 'it takes one lower-case endpoint group name';
    case 'require-trusted-types-for':
      return strings.length === 1 && strings[0] === "'script'" ? undefined : "it takes 'script'";
    case 'trusted-types':
      return checkTrustedTypes(strings);
    default:
      return checkSourceList(directive, sources);
  }
}

function checkSourceList(directive: string, sources: readonly Source[]): string | undefined {
  if (sources.length === 0) return "an empty source list; write 'none' to allow nothing";

  for (const source of sources) {
    if (source === NONCE) continue;
    const problem = checkSourceExpression(source);
    if (problem !== undefined) return problem;
    if (directive === 'frame-ancestors' && source.startsWith("'")) {
      const keyword = source.toLowerCase();
      if (keyword !== "'self'" && keyword !== "'none'") return "only 'self' or 'none' are allowed";
    }
  }

  const none = sources.some((source) => typeof source === 'string' && isKeyword(source, 'none'));
  if (none && sources.length > 1) return "'none' must be the only source";
  return undefined;
}

function checkSourceExpression(source: string): string | undefined {
  if (source.startsWith("'")) {
    if (KEYWORDS.has(source.toLowerCase())) return undefined;

    const nonce = NONCE_SOURCE.exec(source);
    if (nonce !== null) {
      return isNonce(nonce[1] ?? '') ? undefined : 'a nonce must be base64 of at least 128 bits';
    }
    const hash = HASH_SOURCE.exec(source);
    if (hash !== null) return checkHash(hash[1] ?? '', hash[2] ?? '');
    return 'unknown quoted keyword';
  }

  const bare = source.toLowerCase();
  if (KEYWORDS.has(`'${bare}'`) || UNQUOTED_NONCE_OR_HASH.test(bare)) {
    return 'a keyword, nonce or hash must be in single quotes';
  }
  if (SCHEME_SOURCE.test(source) || HOST_SOURCE.test(source)) return undefined;
  return 'not a source expression';
}

function checkHash(algorithm: string, value: string): string | undefined {
  const bytes = DIGEST_BYTES[algorithm.toLowerCase()] ?? 0;
  const unpadded = Math.ceil((bytes * 8) / 6);
  const bare = value.replace(/=+$/, '');
  if (!BASE64_VALUE.test(value) || bare.length !== unpadded) {
    return `a ${algorithm.toLowerCase()} hash must be base64 of ${bytes} bytes`;
  }
  return undefined;
}

function checkTrustedTypes(values: readonly string[]): string | undefined {
  for (const value of values) {
    const keyword = value.toLowerCase();
    if (keyword === "'none'" || keyword === "'allow-duplicates'" || value === '*') continue;
    if (!TRUSTED_TYPES_POLICY.test(value)) return 'not a policy name or trusted-types keyword';
  }
  if (values.some((value) => isKeyword(value, 'none')) && values.length > 1) {
    return "'none' must be the only value";
  }
  return undefined;
}

function isReportUrl(value: string): boolean {
  if (value.startsWith('/')) return !value.startsWith('//');
  return URL.canParse(value) && new URL(value).protocol === 'https:';
}

function isKeyword(source: string, keyword: string): boolean {
  return source.toLowerCase() === `'${keyword}'`;
}

/**
 * A source as it is written into the header: keywords lower-cased, the `nonce-` or algorithm
 * prefix of a quoted value lower-cased and its base64 left as it is, anything else unchanged.
 */
export function canonicalSource(source: string): string {
  if (!source.startsWith("'")) return source;
  const prefixed = QUOTED_PREFIX.exec(source);
  if (prefixed === null) return source.toLowerCase();
  return `'${(prefixed[1] ?? '').toLowerCase()}-${source.slice(prefixed[0].length)}`;
}
