import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import {
  createClientIpResolver,
  isTrustedPeer,
  normalizeIp,
  parseTrustedProxies,
  type TrustedProxies,
} from './client-ip.js';

const cidrs = (...ranges: string[]): TrustedProxies => ({ kind: 'cidrs', ranges });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof GatehouseError ? error.code : 'not a GatehouseError';
  }
  return undefined;
}

describe('normalizeIp', () => {
  it('unwraps IPv4-mapped IPv6 and compresses IPv6 in lowercase', () => {
    expect(normalizeIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeIp('::FFFF:c000:0201')).toBe('192.0.2.1');
    expect(normalizeIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('192.0.2.1')).toBe('192.0.2.1');
  });

  it('gives undefined for anything that is not a plain address', () => {
    for (const text of ['', 'unknown', '1', '127.1', '0x7f.0.0.1', '010.0.0.1', '256.0.0.1']) {
      expect(normalizeIp(text)).toBeUndefined();
    }
    for (const text of [' 192.0.2.1', '192.0.2.1:80', '[::1]', '::1'.padEnd(100, '0')]) {
      expect(normalizeIp(text)).toBeUndefined();
    }
  });
});

describe('parseTrustedProxies', () => {
  it('reads empty and none as no trust', () => {
    for (const setting of [undefined, '', '  ', 'none', 'NONE']) {
      expect(parseTrustedProxies(setting)).toEqual({ kind: 'none' });
    }
  });

  it('reads hops:N', () => {
    expect(parseTrustedProxies('hops:2')).toEqual({ kind: 'hops', count: 2 });
    expect(parseTrustedProxies(' hops : 1 ')).toEqual({ kind: 'hops', count: 1 });
  });

  it('expands named ranges and accepts CIDRs and bare addresses', () => {
    expect(parseTrustedProxies('loopback, 10.0.0.0/8, 192.0.2.7, 2001:DB8::/32')).toEqual(
      cidrs('127.0.0.0/8', '::1/128', '10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32'),
    );
    expect(parseTrustedProxies('linklocal,uniquelocal')).toEqual(
      cidrs(
        '169.254.0.0/16',
        'fe80::/10',
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        'fc00::/7',
      ),
    );
  });

  it('throws ERR_TRUSTED_PROXY_INVALID naming the position, not the input', () => {
    const bad = ['loopback, nonsense', '10.0.0.0/33', '::1/129', 'loopback,,10.0.0.1', 'hops:x'];
    for (const setting of [...bad, 'constructor', '127.1/8', 'loopback, hops:2', '::ffff:0:0/95']) {
      expect(codeOf(() => parseTrustedProxies(setting))).toBe('ERR_TRUSTED_PROXY_INVALID');
    }
    const huge = `loopback, ${'x'.repeat(10_000)}`;
    expect(() => parseTrustedProxies(huge)).toThrow(/entry 2\b/);
    try {
      parseTrustedProxies(huge);
    } catch (error) {
      expect((error as Error).message).not.toContain('xxx');
    }
  });
});

describe('createClientIpResolver', () => {
  it('ignores a forged X-Forwarded-For without trust', () => {
    const resolve = createClientIpResolver({ kind: 'none' });
    expect(resolve('203.0.113.5', '1.1.1.1')).toBe('203.0.113.5');
    expect(resolve('::ffff:203.0.113.5', null)).toBe('203.0.113.5');
    expect(resolve(undefined, '1.1.1.1')).toBeUndefined();
    expect(resolve('garbage', '1.1.1.1')).toBeUndefined();
  });

  it('walks only through trusted CIDRs, so spoofed leftmost entries are ignored', () => {
    const resolve = createClientIpResolver(parseTrustedProxies('loopback, 10.0.0.0/8'));
    // The client forged "6.6.6.6"; the trusted proxies appended the real client, 198.51.100.7.
    expect(resolve('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.0.0.2')).toBe('198.51.100.7');
    expect(resolve('10.1.1.1', '6.6.6.6,198.51.100.7')).toBe('198.51.100.7');
    // An untrusted peer is the client whatever it claims.
    expect(resolve('203.0.113.5', '10.0.0.1, 127.0.0.1')).toBe('203.0.113.5');
    // All trusted: the walk ends at the last address reached.
    expect(resolve('127.0.0.1', '10.0.0.9, 10.0.0.8')).toBe('10.0.0.9');
    expect(resolve('127.0.0.1', null)).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', '')).toBe('127.0.0.1');
  });

  it('trusts a fixed number of hops', () => {
    const one = createClientIpResolver({ kind: 'hops', count: 1 });
    const two = createClientIpResolver(parseTrustedProxies('hops:2'));
    const xff = '6.6.6.6, 198.51.100.7, 10.0.0.2';
    expect(one('10.0.0.1', xff)).toBe('10.0.0.2');
    expect(two('10.0.0.1', xff)).toBe('198.51.100.7');
    expect(two('10.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(two('10.0.0.1', null)).toBe('10.0.0.1');
    expect(createClientIpResolver({ kind: 'hops', count: 0 })('10.0.0.1', xff)).toBe('10.0.0.1');
  });

  it('normalises mapped and IPv6 addresses and matches mapped peers against IPv4 ranges', () => {
    const resolve = createClientIpResolver(parseTrustedProxies('loopback'));
    expect(resolve('::ffff:127.0.0.1', '2001:DB8:0:0::7')).toBe('2001:db8::7');
    expect(resolve('::1', '::ffff:198.51.100.7')).toBe('198.51.100.7');
    const mapped = createClientIpResolver(cidrs('::ffff:10.0.0.0/104'));
    expect(mapped('10.2.3.4', '198.51.100.7')).toBe('198.51.100.7');
  });

  it('strips ports from entries', () => {
    const resolve = createClientIpResolver({ kind: 'hops', count: 3 });
    expect(resolve('10.0.0.1', '[2001:db8::1]:443, 198.51.100.7:5678, [::1]')).toBe('2001:db8::1');
    expect(resolve('10.0.0.1', '198.51.100.7:5678')).toBe('198.51.100.7');
  });

  it('stops at an entry that is not an address and never returns it', () => {
    const resolve = createClientIpResolver({ kind: 'hops', count: 5 });
    const garbage = [
      'unknown',
      '',
      '1',
      '1.2.3.4:http',
      '[::1',
      '[::1]x',
      '::1]:80',
      '1.2.3.4:99999',
      '[1.2.3.4]',
    ];
    for (const entry of garbage) {
      expect(resolve('10.0.0.1', `198.51.100.7, ${entry}, 10.0.0.2`)).toBe('10.0.0.2');
    }
    expect(resolve('10.0.0.1', '198.51.100.7,,')).toBe('10.0.0.1');
  });

  it('reads multiple header lines joined with commas and looks at 64 entries at most', () => {
    const resolve = createClientIpResolver(cidrs('10.0.0.0/8'));
    const proxies = Array.from({ length: 70 }, (_, i) => `10.0.${i}.1`);
    expect(resolve('10.0.0.1', `198.51.100.7, ${proxies.slice(0, 6).join(', ')}`)).toBe(
      '198.51.100.7',
    );
    expect(resolve('10.0.0.1', `198.51.100.7, ${proxies.join(', ')}`)).toBe('10.0.6.1');
    const huge = `${'x, '.repeat(100_000)}198.51.100.7`;
    expect(resolve('10.0.0.1', huge)).toBe('198.51.100.7');
    const long = ['[', ':'.repeat(100_000), ']:1, 1.2.3.4:', '1'.repeat(100_000), ', 10.0.0.2'];
    expect(resolve('10.0.0.1', long.join(''))).toBe('10.0.0.2');
  });

  it('rejects invalid ranges and hop counts given directly', () => {
    expect(codeOf(() => createClientIpResolver(cidrs('10.0.0.0/8', 'nope')))).toBe(
      'ERR_TRUSTED_PROXY_INVALID',
    );
    expect(codeOf(() => createClientIpResolver({ kind: 'hops', count: -1 }))).toBe(
      'ERR_TRUSTED_PROXY_INVALID',
    );
  });
});

describe('isTrustedPeer', () => {
  it('trusts the peer only when the setting covers it', () => {
    const loopback = parseTrustedProxies('loopback');
    expect(isTrustedPeer(loopback, '127.0.0.1')).toBe(true);
    expect(isTrustedPeer(loopback, '::ffff:127.0.0.1')).toBe(true);
    expect(isTrustedPeer(loopback, '203.0.113.5')).toBe(false);
    expect(isTrustedPeer(loopback, undefined)).toBe(false);
    expect(isTrustedPeer({ kind: 'none' }, '127.0.0.1')).toBe(false);
    expect(isTrustedPeer({ kind: 'hops', count: 1 }, '203.0.113.5')).toBe(true);
    expect(isTrustedPeer({ kind: 'hops', count: 0 }, '203.0.113.5')).toBe(false);
  });
});

describe('resolver property', () => {
  const address = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc.string({ maxLength: 12 }).filter((s) => !s.includes(',') && s === s.trim()),
  );
  const entry = fc.record({ ip: address, port: fc.option(fc.integer({ min: 0, max: 70_000 })) });
  const trust = fc.oneof(
    fc.constant<TrustedProxies>({ kind: 'none' }),
    fc.integer({ min: 0, max: 6 }).map((count): TrustedProxies => ({ kind: 'hops', count })),
    fc.constant(parseTrustedProxies('loopback, uniquelocal, 0.0.0.0/1, ::/1')),
  );

  it('never throws and returns undefined or a normalised address from the chain', () => {
    fc.assert(
      fc.property(trust, address, fc.option(fc.array(entry, { maxLength: 8 })), (t, peer, xff) => {
        const written = xff?.map(({ ip, port }) => {
          if (port === null) return ip;
          return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
        });
        const result = createClientIpResolver(t)(peer, written?.join(', ') ?? null);

        const chain = [peer, ...(xff ?? []).map((e) => e.ip)].map(normalizeIp);
        if (result !== undefined) expect(chain).toContain(result);
        if (t.kind === 'none') expect(result).toBe(normalizeIp(peer));
        if (normalizeIp(peer) === undefined) expect(result).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
