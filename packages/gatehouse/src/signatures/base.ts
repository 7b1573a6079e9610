/**
 * The RFC 9421 signature base of a Web `Request`: the exact bytes a signature is made over, built
 * the same way by the signer and the verifier.
 * @module
 */
import { serializeInnerList, serializeItem, type InnerList } from 'structured-headers';

/** The derived components understood (RFC 9421 §2.2); any other `@` name is refused. */
export const DERIVED_COMPONENTS = [
  '@method',
  '@target-uri',
  '@authority',
  '@scheme',
  '@path',
  '@query',
] as const;

/** A derived component this module can resolve. */
export type DerivedComponent = (typeof DERIVED_COMPONENTS)[number];

/** Why a signature base could not be built. Nothing is ever signed over a partial base. */
export type SignatureBaseProblem =
  /** A covered component identifier is not a Structured Fields String. */
  | 'not-a-string'
  /** A covered component carries parameters (`;sf`, `;key`, `;bs`, `;req`, `;tr`, ...). */
  | 'component-parameters'
  /** The same component is covered twice. */
  | 'duplicate'
  /** A derived component that is unknown, or not one for requests (`@status`). */
  | 'unknown-derived'
  /** `@signature-params`, which is always the last line and never a covered component (§2.3). */
  | 'signature-params-covered'
  /** A field name that is not a lower-case HTTP token (RFC 9421 §2.1 lower-cases field names). */
  | 'invalid-field-name'
  /** A covered field that the request does not carry. */
  | 'absent-field'
  /** A value or parameter outside printable US-ASCII, which the base may not hold (§2.5). */
  | 'not-ascii';

/** The outcome of {@link createSignatureBase}. */
export type SignatureBaseResult =
  | { readonly ok: true; readonly base: string }
  | { readonly ok: false; readonly problem: SignatureBaseProblem; readonly component?: string };

/** Options of {@link createSignatureBase}. */
export interface SignatureBaseOptions {
  /**
   * The target URI as the signer saw it, for a server behind a proxy that rewrites the URL (its
   * public `https://` form). The fragment, if any, is dropped. @default request.url
   */
  readonly targetUri?: string;
}

const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// Field values may hold HTAB inside them; nothing else outside printable ASCII, no line breaks.
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const DERIVED = new Set<string>(DERIVED_COMPONENTS);

/**
 * Builds the signature base (RFC 9421 §2.5) for `request` from the signature's covered components
 * and parameters, given as the Inner List that `Signature-Input` carries for its label. Lines
 * end with `\n` and the last line, `"@signature-params"`, has no newline after it.
 *
 * A component that cannot be resolved fails the whole base: an unknown derived component, an
 * identifier with parameters, a duplicate, or a covered field the request does not carry (never
 * an empty line in its place). Throws `TypeError` only when `options.targetUri` is not a URL.
 *
 * @example
 * const input: InnerList = [[['@method', new Map()], ['content-type', new Map()]],
 *   new Map([['created', 1618884473], ['keyid', 'svc-a']])];
 * const result = createSignatureBase(request, input);
 * if (result.ok) sign(result.base);
 */
export function createSignatureBase(
  request: Request,
  input: InnerList,
  options: SignatureBaseOptions = {},
): SignatureBaseResult {
  const url = new URL(options.targetUri ?? request.url);
  url.hash = '';

  const seen = new Set<string>();
  const lines: string[] = [];
  for (const [name, parameters] of input[0]) {
    if (typeof name !== 'string') return { ok: false, problem: 'not-a-string' };
    if (parameters.size > 0) return { ok: false, problem: 'component-parameters', component: name };
    if (seen.has(name)) return { ok: false, problem: 'duplicate', component: name };
    seen.add(name);

    const resolved = componentValue(request, url, name);
    if ('problem' in resolved) return { ok: false, problem: resolved.problem, component: name };
    if (!FIELD_VALUE.test(resolved.value)) {
      return { ok: false, problem: 'not-ascii', component: name };
    }
    lines.push(`${serializeItem([name, new Map()])}: ${resolved.value}`);
  }

  let params: string;
  try {
    params = serializeInnerList(input);
  } catch {
    return { ok: false, problem: 'not-ascii' };
  }
  lines.push(`"@signature-params": ${params}`);
  return { ok: true, base: lines.join('\n') };
}

type Resolved = { readonly value: string } | { readonly problem: SignatureBaseProblem };

function componentValue(request: Request, url: URL, name: string): Resolved {
  if (name === '@signature-params') return { problem: 'signature-params-covered' };
  if (name.startsWith('@')) {
    return DERIVED.has(name)
      ? { value: derivedValue(request, url, name as DerivedComponent) }
      : { problem: 'unknown-derived' };
  }
  if (!FIELD_NAME.test(name)) return { problem: 'invalid-field-name' };

  // Headers joins repeated fields with ", " and trims outer whitespace, as RFC 9421 §2.1 asks.
  const value = request.headers.get(name);
  return value === null ? { problem: 'absent-field' } : { value };
}

function derivedValue(request: Request, url: URL, name: DerivedComponent): string {
  switch (name) {
    case '@method':
      return request.method;
    case '@target-uri':
      return url.href;
    case '@authority':
      // WHATWG URL parsing lower-cases the host and drops a default port (RFC 9110 §4.2.3).
      return url.host;
    case '@scheme':
      return url.protocol.slice(0, -1);
    case '@path':
      return url.pathname === '' ? '/' : url.pathname;
    case '@query':
      return url.search === '' ? '?' : url.search;
  }
}
