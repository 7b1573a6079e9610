import { describe, expect, it } from 'vitest';

import { ipBucket } from './client-key.js';

describe('client keys', () => {
  it('counts IPv4 addresses one by one', () => {
    expect(ipBucket('203.0.113.9')).toBe('ip4:203.0.113.9');
    expect(ipBucket('203.0.113.10')).not.toBe(ipBucket('203.0.113.9'));
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(ipBucket('::ffff:203.0.113.9')).toBe('ip4:203.0.113.9');
  });

  it('puts IPv6 neighbours within one /64 in one bucket', () => {
    const a = ipBucket('2001:db8:1:2:aaaa:bbbb:cccc:1');
    expect(a).toBe('ip6:2001:db8:1:2::/64');
    expect(ipBucket('2001:db8:1:2::ffff')).toBe(a);
    expect(ipBucket('2001:db8:1:3::1')).not.toBe(a);
  });

  it('takes another prefix length when configured', () => {
    expect(ipBucket('2001:db8:1:2::1', 48)).toBe('ip6:2001:db8:1::/48');
  });

  it('has one bucket for addresses it cannot know', () => {
    expect(ipBucket(undefined)).toBe('ip:unknown');
    expect(ipBucket('not an address')).toBe('ip:unknown');
  });
});
