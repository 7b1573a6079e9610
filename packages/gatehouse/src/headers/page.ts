/**
 * The page profile: the shared security headers and a nonce-based CSP built per request, in the
 * rollout mode the app is in, with the reporting it asks for.
 * @module
 */
import { serializeDictionary } from 'structured-headers';

import { GatehouseError } from '../errors.js';
import { createCsp, type CspDirectives, type CspPolicy, type DirectiveValue } from './csp.js';
import { NO_STORE, SECURITY_HEADERS } from './profiles.js';
import { NONCE, type Source } from './sources.js';

/**
 * The default policy of a page: scripts only by nonce (and what they load, `'strict-dynamic'`),
 * everything else from the app's own origin, no plugins, no `<base>`, no framing.
 */
export const DEFAULT_PAGE_CSP: readonly (readonly [string, DirectiveValue])[] = Object.freeze([
  ['default-src', ["'self'"]],
  ['script-src', [NONCE, "'strict-dynamic'"]],
  ['style-src', ["'self'", NONCE]],
  ['img-src', ["'self'", 'data:']],
  ['font-src', ["'self'"]],
  ['connect-src', ["'self'"]],
  ['object-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'self'"]],
  ['frame-ancestors', ["'none'"]],
]);

/**
 * How the CSP is sent: `report-only` while a policy is tried (violations are reported, nothing
 * is blocked), `enforce` once it holds.
 */
export type CspMode = 'report-only' | 'enforce';

/** Where browsers send violation reports. */
export interface CspReporting {
  /** An absolute path (`/api/csp-reports`) or an https URL. */
  readonly endpoint: string;
  /** The `report-to` group, a `Reporting-Endpoints` key. @default 'csp' */
  readonly group?: string;
}

/** Options of `createPageProfile`. */
export interface PageProfileOptions {
  /** @default 'enforce' */
  readonly mode?: CspMode;
  /** The policy; its `NONCE` markers take each response's nonce. @default DEFAULT_PAGE_CSP */
  readonly policy?: CspDirectives;
  /**
   * A stricter policy tried beside the enforced one: sent as `Content-Security-Policy-Report-Only`
   * with the same nonce. Only in `enforce` mode.
   */
  readonly candidate?: CspDirectives;
  /** Adds `report-uri` and `report-to` to every policy, and a `Reporting-Endpoints` header. */
  readonly reporting?: CspReporting;
  /** Refuses policies that let scripts use `'unsafe-inline'` or `'unsafe-eval'`. @default false */
  readonly production?: boolean;
  /**
   * Adds `'unsafe-eval'` to `script-src`, which the Next.js development server needs. Never in
   * production: the two options together are refused.
   * @default false
   */
  readonly development?: boolean;
}

/** A page profile, checked once and applied to each response with that response's nonce. */
export interface PageProfile {
  readonly mode: CspMode;
  /** The policy sent as `Content-Security-Policy`; absent in `report-only` mode. */
  readonly enforced: CspPolicy | undefined;
  /** The policy sent as `Content-Security-Policy-Report-Only`, if any. */
  readonly reportOnly: CspPolicy | undefined;
  /** The headers of one response; every CSP header carries `nonce`. */
  headers(nonce: string, options?: { readonly noStore?: boolean }): [string, string][];
}

/**
 * Builds the page profile, checking every policy now: a policy that is not valid throws
 * `ERR_CONFIG_INVALID`, an unsafe one in production `ERR_CONFIG_UNSAFE`.
 *
 * @example
 * const pages = createPageProfile({
 *   mode: 'report-only',
 *   reporting: { endpoint: '/api/csp-reports' },
 *   production: config.environment === 'production',
 * });
 * const nonce = createNonce();
 * applyHeaders(response.headers, pages.headers(nonce));
 */
export function createPageProfile(options: PageProfileOptions = {}): PageProfile {
  const mode = options.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'report-only') invalid('The CSP mode is not known');
  if (options.development === true && options.production === true) {
    invalid('A page profile is either for development or for production');
  }
  if (options.candidate !== undefined && mode !== 'enforce') {
    invalid('A candidate policy is tried beside an enforced one: use mode enforce');
  }

  const group = options.reporting?.group ?? 'csp';
  const build = (directives: CspDirectives): CspPolicy => {
    let entries = entriesOf(directives);
    if (options.development === true) entries = withUnsafeEval(entries);
    if (options.reporting !== undefined) {
      entries = [...entries, ['report-uri', [options.reporting.endpoint]], ['report-to', [group]]];
    }
    return createCsp(entries, { production: options.production === true });
  };

  const policy = build(options.policy ?? DEFAULT_PAGE_CSP);
  const candidate = options.candidate === undefined ? undefined : build(options.candidate);
  const enforced = mode === 'enforce' ? policy : undefined;
  const reportOnly = mode === 'report-only' ? policy : candidate;

  // createCsp has checked the group (report-to) and the endpoint (report-uri) by now.
  const fixed: [string, string][] = SECURITY_HEADERS.map(([name, value]) => [name, value]);
  if (options.reporting !== undefined) {
    fixed.push([
      'Reporting-Endpoints',
      serializeDictionary(new Map([[group, [options.reporting.endpoint, new Map()]]])),
    ]);
  }

  return {
    mode,
    enforced,
    reportOnly,
    headers(nonce, headerOptions = {}) {
      const list: [string, string][] = [];
      if (enforced) list.push(['Content-Security-Policy', enforced.serialize(nonce)]);
      if (reportOnly)
        list.push(['Content-Security-Policy-Report-Only', reportOnly.serialize(nonce)]);
      for (const [name, value] of fixed) list.push([name, value]);
      if (headerOptions.noStore === true) list.push([NO_STORE[0], NO_STORE[1]]);
      return list;
    },
  };
}

type Entries = readonly (readonly [string, DirectiveValue])[];

function entriesOf(directives: CspDirectives): Entries {
  return Array.isArray(directives)
    ? (directives as Entries)
    : Object.entries(directives as Readonly<Record<string, DirectiveValue>>);
}

/**
 * Adds `'unsafe-eval'` to `script-src`; a policy without one gets a `script-src` that copies
 * `default-src`, which scripts fell back to, so nothing else about scripts changes.
 */
function withUnsafeEval(entries: Entries): Entries {
  const unsafeEval = "'unsafe-eval'";
  const isNamed = (wanted: string) => (entry: readonly [string, DirectiveValue]) =>
    entry[0].toLowerCase() === wanted;
  const add = (sources: DirectiveValue): Source[] => {
    const list = sources === true ? [] : sources.filter((source) => !isNone(source));
    return list.some((source) => isKeyword(source, unsafeEval)) ? list : [...list, unsafeEval];
  };

  if (entries.some(isNamed('script-src'))) {
    return entries.map((entry) =>
      isNamed('script-src')(entry) ? [entry[0], add(entry[1])] : entry,
    );
  }
  const fallback = entries.find(isNamed('default-src'))?.[1] ?? [];
  return [...entries, ['script-src', add(fallback)]];
}

function isNone(source: Source): boolean {
  return isKeyword(source, "'none'");
}

function isKeyword(source: Source, keyword: string): boolean {
  return typeof source === 'string' && source.toLowerCase() === keyword;
}

function invalid(message: string): never {
  throw new GatehouseError('ERR_CONFIG_INVALID', message);
}
