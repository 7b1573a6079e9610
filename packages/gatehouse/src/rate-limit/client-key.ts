import ipaddr from 'ipaddr.js';

/**
 * The rate-limit key of a client address. IPv4 addresses count one by one; an IPv6 address counts
 * as its whole /64 (by default), since one subscriber usually holds a /64 and can rotate freely
 * inside it. IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
 *
 * @example ipBucket('2001:db8:1:2:aaaa::1') // 'ip6:2001:db8:1:2::/64'
 */
export function ipBucket(address: string | undefined, ipv6Prefix = 64): string {
  if (address === undefined || !ipaddr.isValid(address)) return 'ip:unknown';

  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === 'ipv4') return `ip4:${parsed.toString()}`;

  const network = ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${ipv6Prefix}`);
  return `ip6:${network.toString()}/${ipv6Prefix}`;
}
