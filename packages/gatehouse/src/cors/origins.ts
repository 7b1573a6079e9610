/**
 * Allowlist entries for CORS, parsed structurally: an exact origin, or `https://*.example.com`
 * (any one label under a domain, over https only). Nothing is ever matched as a regular
 * expression or by string prefix or suffix.
 * @module
 */
import { GatehouseError } from '../errors.js';

/** One parsed allowlist entry. */
export type OriginRule =
  | { readonly kind: 'exact'; readonly origin: string }
  | { readonly kind: 'subdomain'; readonly domain: string; readonly port: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Parses one allowlist entry. Throws `ERR_CONFIG_INVALID` for anything that is not a plain
 * origin (`https://app.example.com`, `http://localhost:3000`) or a one-label https pattern
 * (`https://*.example.com`, `https://*.example.com:8443`): `null`, `*`, paths, queries,
 * credentials, other schemes, and patterns over a single label (`https://*.com`).
 */
export function parseOriginRule(entry: string): OriginRule {
  const text = entry.trim();
  if (text === 'null' || text === '*') invalid(`"${text}" is not an origin that can be allowed`);

  const pattern = /^https:\/\/\*\.(.+)$/i.exec(text);
  if (pattern) {
    const url = parseOrigin(`https://${pattern[1]}`, entry);
    const labels = url.hostname.split('.');
    if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
      invalid('a subdomain pattern needs a domain of two labels or more, such as *.example.com');
    }
    return { kind: 'subdomain', domain: url.hostname, port: url.port };
  }
  if (text.includes('*'))
    invalid('a wildcard is only allowed as the first label of an https origin');
  return { kind: 'exact', origin: parseOrigin(text, entry).origin };
}

function parseOrigin(text: string, entry: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(`"${entry.slice(0, 100)}" is not an origin`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid('origins are http or https');
  if (url.username !== '' || url.password !== '') invalid('an origin has no credentials');
  // An origin is scheme, host and port: a trailing slash is tolerated, a path is not.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
    invalid('an origin has no path, query or fragment');
  }
  if (!/^https?:\/\/[^/]+\/?$/i.test(text)) invalid('an origin has no path');
  return url;
}

/**
 * A matcher for `Origin` request headers. The header must be a serialised origin exactly as a
 * browser sends it (lower-case, no default port, no trailing slash); anything else, `null`
 * included, matches nothing.
 */
export function createOriginMatcher(
  rules: readonly OriginRule[],
): (origin: string | null) => boolean {
  const exact = new Set<string>();
  const subdomains: { domain: string; port: string }[] = [];
  for (const rule of rules) {
    if (rule.kind === 'exact') exact.add(rule.origin);
    else subdomains.push(rule);
  }

  return (origin) => {
    const url = serialisedOrigin(origin);
    if (url === undefined) return false;
    if (exact.has(url.origin)) return true;
    if (url.protocol !== 'https:') return false;
    return subdomains.some(({ domain, port }) => {
      if (url.port !== port || !url.hostname.endsWith(`.${domain}`)) return false;
      const label = url.hostname.slice(0, -(domain.length + 1));
      return LABEL.test(label);
    });
  };
}

/** The header parsed as an origin, when it is exactly the serialisation of one. */
export function serialisedOrigin(origin: string | null): URL | undefined {
  if (origin === null || origin === 'null' || origin.length > 2_048) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.origin === origin ? url : undefined;
}

function invalid(message: string): never {
  throw new GatehouseError('ERR_CONFIG_INVALID', `CORS: ${message}`);
}
