import ipaddr from 'ipaddr.js';

import { GatehouseError } from '../errors.js';

/** Which proxies in front of the server may be believed when they report the client address. */
export type TrustedProxies =
  | { readonly kind: 'none' }
  | { readonly kind: 'cidrs'; readonly ranges: readonly string[] }
  | { readonly kind: 'hops'; readonly count: number };

/** Resolves the client address from the socket peer and the X-Forwarded-For header. */
export interface ClientIpResolver {
  (peer: string | undefined, forwardedFor: string | null): string | undefined;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

// Only the proxies nearest the server matter, and each is one entry; a longer header is either
// a misconfiguration or an attempt to make the server do work.
const MAX_FORWARDED_ENTRIES = 64;

// The longest textual IPv6 form (with an embedded IPv4 part) is 45 characters; the margin is for
// a zone id. Longer input is refused before any regular expression sees it.
const MAX_ADDRESS_LENGTH = 64;

const HOPS = /^hops\s*:\s*(\d{1,3})$/i;
const PORT = /^\d{1,5}$/;

/**
 * Parses a trust setting: a comma-separated list of named ranges, CIDRs and addresses, `hops:N`,
 * or an empty/`none` value that trusts no proxy.
 *
 * @example parseTrustedProxies('loopback, 10.0.0.0/8') // { kind: 'cidrs', ranges: [...] }
 * @default { kind: 'none' } for `undefined`, `''` and `none`
 */
export function parseTrustedProxies(setting: string | undefined): TrustedProxies {
  const trimmed = (setting ?? '').trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return { kind: 'none' };

  const hops = HOPS.exec(trimmed);
  if (hops !== null) return { kind: 'hops', count: Number(hops[1]) };

  const ranges: string[] = [];
  trimmed.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const name = entry.toLowerCase();
    const named = Object.hasOwn(NAMED_RANGES, name) ? NAMED_RANGES[name] : undefined;
    if (named !== undefined) {
      ranges.push(...named);
      return;
    }
    const range = parseRange(entry.includes('/') ? entry : `${entry}/${maxBits(entry)}`);
    if (range === undefined) {
      throw new GatehouseError(
        'ERR_TRUSTED_PROXY_INVALID',
        `Trusted proxy entry ${index + 1} is not an IP address, a CIDR range, or one of ` +
          'loopback, linklocal, uniquelocal; use "none" or "hops:N" alone.',
      );
    }
    ranges.push(`${range[0].toString()}/${range[1]}`);
  });
  return { kind: 'cidrs', ranges };
}

/**
 * Normalises an address: IPv4-mapped IPv6 becomes IPv4, IPv6 is lowercase and compressed, a zone
 * id is dropped; anything else (including a port, brackets or shorthand IPv4) gives `undefined`.
 *
 * @example normalizeIp('::FFFF:192.0.2.1') // '192.0.2.1'
 */
export function normalizeIp(address: string): string | undefined {
  return parseAddress(address)?.toString();
}

/**
 * Builds a resolver that follows X-Forwarded-For only through trusted proxies, as Express's
 * `trust proxy` does; CIDRs are parsed once here and a bad one throws.
 *
 * @example createClientIpResolver({ kind: 'hops', count: 1 })('10.0.0.2', '203.0.113.9')
 */
export function createClientIpResolver(trust: TrustedProxies): ClientIpResolver {
  if (trust.kind === 'none') return (peer) => (peer === undefined ? undefined : normalizeIp(peer));

  if (trust.kind === 'hops') {
    const count = hopCount(trust);
    return (peer, forwardedFor) => walk(peer, forwardedFor, (_, hop) => hop < count);
  }

  const ranges = rangesOf(trust);
  return (peer, forwardedFor) => walk(peer, forwardedFor, (address) => isTrusted(address, ranges));
}

/**
 * Tells whether the socket peer itself is a trusted proxy, so headers it sets may be believed.
 *
 * @example isTrustedPeer(parseTrustedProxies('loopback'), '127.0.0.1') // true
 */
export function isTrustedPeer(trust: TrustedProxies, peer: string | undefined): boolean {
  const address = peer === undefined ? undefined : parseAddress(peer);
  if (address === undefined || trust.kind === 'none') return false;
  if (trust.kind === 'hops') return hopCount(trust) > 0;
  return isTrusted(address, rangesOf(trust));
}

// Parsed ranges per setting object, so a per-request isTrustedPeer call does not re-parse them.
const parsedRanges = new WeakMap<TrustedProxies, readonly Range[]>();

function rangesOf(trust: TrustedProxies & { kind: 'cidrs' }): readonly Range[] {
  const cached = parsedRanges.get(trust);
  if (cached !== undefined) return cached;
  const ranges = trust.ranges.map((text, index) => {
    const range = parseRange(text);
    if (range === undefined) {
      throw new GatehouseError(
        'ERR_TRUSTED_PROXY_INVALID',
        `Trusted proxy range ${index + 1} is not a valid CIDR range.`,
      );
    }
    return range;
  });
  parsedRanges.set(trust, ranges);
  return ranges;
}

function hopCount(trust: TrustedProxies & { kind: 'hops' }): number {
  if (!Number.isInteger(trust.count) || trust.count < 0) {
    throw new GatehouseError('ERR_TRUSTED_PROXY_INVALID', 'Trusted hops must be a whole number.');
  }
  return trust.count;
}

/**
 * Walks the chain [peer, ...X-Forwarded-For from right to left] while the current hop is trusted,
 * and returns the first untrusted address, the last one reached, or the last valid one before an
 * entry that is not an address. Entries are parsed only as the walk reaches them.
 */
function walk(
  peer: string | undefined,
  forwardedFor: string | null,
  trusted: (address: Address, hop: number) => boolean,
): string | undefined {
  let current = peer === undefined ? undefined : parseAddress(peer);
  if (current === undefined) return undefined;

  const entries = forwardedFor === null ? [] : rightmostEntries(forwardedFor);
  for (let hop = 0; hop < entries.length && trusted(current, hop); hop += 1) {
    const next = parseEntry(entries[hop] ?? '');
    if (next === undefined) break;
    current = next;
  }
  return current.toString();
}

/**
 * Returns up to MAX_FORWARDED_ENTRIES entries, rightmost (nearest) first, without splitting the
 * whole header. Several header lines joined with ", " read as one list (RFC 9110, section 5.3).
 */
function rightmostEntries(header: string): string[] {
  if (header.trim() === '') return [];
  const entries: string[] = [];
  let end = header.length;
  while (entries.length < MAX_FORWARDED_ENTRIES) {
    const comma = header.lastIndexOf(',', end - 1);
    entries.push(header.slice(comma + 1, end).trim());
    if (comma === -1) break;
    end = comma;
  }
  return entries;
}

/** Parses one X-Forwarded-For entry, which may carry a port: `1.2.3.4:80`, `[2001:db8::1]:443`. */
function parseEntry(entry: string): Address | undefined {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    const rest = entry.slice(close + 1);
    if (close === -1 || (rest !== '' && !(rest.startsWith(':') && isPort(rest.slice(1))))) {
      return undefined;
    }
    // Brackets hold IPv6 only (RFC 3986, section 3.2.2); a colon tells it from bracketed IPv4.
    const host = entry.slice(1, close);
    return host.includes(':') ? parseAddress(host) : undefined;
  }
  const colon = entry.indexOf(':');
  // A single colon can only separate an IPv4 address from its port; IPv6 has at least two.
  if (colon !== -1 && colon === entry.lastIndexOf(':')) {
    const host = isPort(entry.slice(colon + 1)) ? parseAddress(entry.slice(0, colon)) : undefined;
    return host?.kind() === 'ipv4' ? host : undefined;
  }
  return parseAddress(entry);
}

/** Parses a bare address; IPv4 must be four-part decimal so `1` or `0x7f.1` are not addresses. */
function parseAddress(text: string): Address | undefined {
  if (text.length > MAX_ADDRESS_LENGTH) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  // Rebuilding from the parts drops the zone id, which names a local interface, not a host.
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : new ipaddr.IPv6(v6.parts);
}

/** Parses `address/bits`, turning an IPv4-mapped IPv6 range into the IPv4 range it covers. */
function parseRange(text: string): Range | undefined {
  const slash = text.lastIndexOf('/');
  const bitsText = text.slice(slash + 1);
  if (slash === -1 || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const bits = Number(bitsText);
  if (address === undefined || bits > maxBits(text.slice(0, slash))) return undefined;

  // An IPv4-mapped range matches IPv4 clients only if it lies inside ::ffff:0:0/96.
  if (address.kind() === 'ipv6' || !text.includes(':')) return [address, bits];
  return bits >= 96 ? [address, bits - 96] : undefined;
}

function isPort(text: string): boolean {
  return PORT.test(text) && Number(text) <= 65_535;
}

function maxBits(address: string): number {
  return address.includes(':') ? 128 : 32;
}

function isTrusted(address: Address, ranges: readonly Range[]): boolean {
  return ranges.some(([network, bits]) => {
    return network.kind() === address.kind() && address.match(network, bits);
  });
}
