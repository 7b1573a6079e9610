/**
 * A Content Security Policy checked when it is built and serialised once, so that each request
 * pays only for splicing its nonce in.
 * @module
 */
import { GatehouseError } from '../errors.js';
import { canonicalSource, checkSources, isNonce, type Source } from './sources.js';

export { NONCE, type Source } from './sources.js';

/** What a directive is given: its source list, or `true` for a directive that takes no value. */
export type DirectiveValue = readonly Source[] | true;

/**
 * Directives by name (`{ 'default-src': ["'self'"] }`), or as `[name, value]` entries when a
 * policy is assembled from parts and a repeated name must be caught.
 */
export type CspDirectives =
  Readonly<Record<string, DirectiveValue>> | readonly (readonly [string, DirectiveValue])[];

/** Options of `createCsp`. */
export interface CspOptions {
  /**
   * Refuse, with `ERR_CONFIG_UNSAFE`, a policy whose scripts may use `'unsafe-inline'` or
   * `'unsafe-eval'` (see `unsafeScriptSources`). Set it wherever the app runs in production.
   * @default false
   */
  readonly production?: boolean;
}

/** A checked policy, ready to be sent. */
export interface CspPolicy {
  /** The directives, names lower-cased, in the order given. */
  readonly directives: ReadonlyMap<string, readonly Source[]>;
  /** Whether the policy holds a `NONCE` marker, so that `serialize` needs a nonce. */
  readonly usesNonce: boolean;
  /**
   * The header value, with `'nonce-<nonce>'` wherever the policy holds the `NONCE` marker.
   * @throws TypeError when the policy needs a nonce and `nonce` is missing or is not base64 of at
   * least 128 bits (22 characters or more).
   */
  serialize(nonce?: string): string;
}

/**
 * The CSP Level 3 directives, plus `fenced-frame-src`. Deprecated or never-shipped ones
 * (`plugin-types`, `navigate-to`, `prefetch-src`, `block-all-mixed-content`) are refused.
 */
export const CSP_DIRECTIVES: ReadonlySet<string> = new Set([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'fenced-frame-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
  'sandbox',
  'report-uri',
  'report-to',
  'upgrade-insecure-requests',
  'require-trusted-types-for',
  'trusted-types',
]);

/**
 * Builds a policy from its directives, refusing with `ERR_CONFIG_INVALID` anything a browser
 * would read differently from what was meant: an unknown or repeated directive, a missing
 * `default-src`, a keyword without its quotes (a browser reads `self` as a host name), an
 * unknown quoted keyword, `'none'` beside other sources, or a source value with `;`, `,` or
 * whitespace in it (which would end the directive or the policy early).
 *
 * @example
 * const policy = createCsp({
 *   'default-src': ["'self'"],
 *   'script-src': [NONCE, "'strict-dynamic'"],
 *   'object-src': ["'none'"],
 * }, { production: true });
 * response.headers.set('Content-Security-Policy', policy.serialize(createNonce()));
 */
export function createCsp(directives: CspDirectives, options: CspOptions = {}): CspPolicy {
  const entries = Array.isArray(directives)
    ? (directives as readonly (readonly [string, DirectiveValue])[])
    : Object.entries(directives as Readonly<Record<string, DirectiveValue>>);
  const checked = new Map<string, readonly Source[]>();

  for (const [given, value] of entries) {
    const name = given.toLowerCase();
    // The name is echoed only when it is plainly a name, never a line break or a payload.
    if (!CSP_DIRECTIVES.has(name)) {
      invalid(`Unknown CSP directive${/^[a-z-]{1,40}$/.test(name) ? ` ${name}` : ''}`);
    }
    if (checked.has(name)) invalid(`The CSP directive ${name} is given twice`);
    const sources = value === true ? [] : value;
    if (!Array.isArray(sources)) invalid(`The CSP directive ${name} needs a list of sources`);

    const problem = checkSources(name, sources);
    if (problem !== undefined) invalid(`CSP ${name}: ${problem}`);
    const canonical = sources.map((s) => (typeof s === 'string' ? canonicalSource(s) : s));
    checked.set(name, Object.freeze(canonical));
  }
  if (!checked.has('default-src')) invalid('A CSP needs a default-src directive');

  if (options.production === true) {
    const unsafe = unsafeScriptSourcesOf(checked);
    if (unsafe.length > 0) {
      throw new GatehouseError(
        'ERR_CONFIG_UNSAFE',
        `A production CSP must not allow ${unsafe.join(' or ')} for scripts`,
      );
    }
  }
  return compile(checked);
}

/**
 * The unsafe keywords a policy lets scripts use: `'unsafe-inline'` and `'unsafe-eval'` found in
 * the list that governs `script-src`, `script-src-elem` or `script-src-attr` (each falling back
 * to `script-src`, then `default-src`). Empty for a strict policy.
 *
 * `'unsafe-inline'` is reported even beside a nonce or `'strict-dynamic'`, where current browsers
 * ignore it: browsers too old to know nonces would still run every inline script.
 */
export function unsafeScriptSources(policy: CspPolicy): ("'unsafe-inline'" | "'unsafe-eval'")[] {
  return unsafeScriptSourcesOf(policy.directives);
}

function unsafeScriptSourcesOf(
  directives: ReadonlyMap<string, readonly Source[]>,
): ("'unsafe-inline'" | "'unsafe-eval'")[] {
  const found = new Set<"'unsafe-inline'" | "'unsafe-eval'">();
  for (const name of ['script-src', 'script-src-elem', 'script-src-attr']) {
    const governing =
      directives.get(name) ?? directives.get('script-src') ?? directives.get('default-src') ?? [];
    for (const source of governing) {
      if (typeof source !== 'string') continue;
      const keyword = source.toLowerCase();
      if (keyword === "'unsafe-inline'" || keyword === "'unsafe-eval'") found.add(keyword);
    }
  }
  return [...found].sort();
}

/**
 * Serialises the policy once into the text between its nonces, so a request costs one join.
 * Keywords are written lower-case, as the CSP grammar spells them.
 */
function compile(directives: ReadonlyMap<string, readonly Source[]>): CspPolicy {
  const parts: string[] = [];
  let current = '';
  for (const [name, sources] of directives) {
    current += current === '' && parts.length === 0 ? name : `; ${name}`;
    for (const source of sources) {
      if (typeof source === 'string') {
        current += ` ${source}`;
        continue;
      }
      parts.push(`${current} 'nonce-`);
      current = "'";
    }
  }
  parts.push(current);

  const usesNonce = parts.length > 1;
  return {
    directives,
    usesNonce,
    serialize(nonce) {
      if (!usesNonce) return current;
      if (typeof nonce !== 'string' || !isNonce(nonce)) {
        throw new TypeError('The CSP nonce must be base64 of at least 128 bits');
      }
      return parts.join(nonce);
    },
  };
}

function invalid(message: string): never {
  throw new GatehouseError('ERR_CONFIG_INVALID', message);
}
