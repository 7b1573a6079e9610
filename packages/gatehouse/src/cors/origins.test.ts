import { describe, expect, it } from 'vitest';

import { createOriginMatcher, parseOriginRule } from './origins.js';

const matcher = (...entries: string[]) => createOriginMatcher(entries.map(parseOriginRule));

describe('parseOriginRule', () => {
  it('normalises exact origins: case, default ports, a trailing slash, IDN', () => {
    expect(parseOriginRule('HTTPS://App.Example.COM:443/')).toEqual({
      kind: 'exact',
      origin: 'https://app.example.com',
    });
    expect(parseOriginRule('http://localhost:3000')).toEqual({
      kind: 'exact',
      origin: 'http://localhost:3000',
    });
    expect(parseOriginRule('https://bücher.example')).toEqual({
      kind: 'exact',
      origin: 'https://xn--bcher-kva.example',
    });
  });

  it('parses a one-label https subdomain pattern', () => {
    expect(parseOriginRule('https://*.Example.com')).toEqual({
      kind: 'subdomain',
      domain: 'example.com',
      port: '',
    });
    expect(parseOriginRule('https://*.example.com:8443')).toEqual({
      kind: 'subdomain',
      domain: 'example.com',
      port: '8443',
    });
  });

  it.each([
    ['null', 'null'],
    ['*', 'the wildcard alone'],
    ['https://example.com/app', 'a path'],
    ['https://example.com?x=1', 'a query'],
    ['https://example.com#x', 'a fragment'],
    ['https://user:pw@example.com', 'credentials'],
    ['ftp://example.com', 'another scheme'],
    ['example.com', 'no scheme'],
    ['http://*.example.com', 'a pattern over http'],
    ['https://*.com', 'a pattern over one label'],
    ['https://a.*.example.com', 'a wildcard inside'],
    ['https://*example.com', 'a wildcard glued to a label'],
    ['https://*.*.example.com', 'two wildcards'],
    ['https://.*', 'a regular expression'],
  ])('refuses %s (%s)', (entry) => {
    expect(() => parseOriginRule(entry)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('matching Origin headers', () => {
  const allow = matcher(
    'https://example.com',
    'http://localhost:3000',
    'https://*.apps.example.org',
  );

  it('allows the listed origins, exactly', () => {
    expect(allow('https://example.com')).toBe(true);
    expect(allow('http://localhost:3000')).toBe(true);
    expect(allow('https://one.apps.example.org')).toBe(true);
  });

  it('never allows null, an empty header, or no header', () => {
    expect(allow('null')).toBe(false);
    expect(allow('')).toBe(false);
    expect(allow(null)).toBe(false);
  });

  it.each([
    ['https://example.com.evil.test', 'suffix trick'],
    ['https://evil-example.com', 'prefix trick'],
    ['https://evilexample.com', 'glued prefix'],
    ['https://example.com.', 'trailing dot'],
    ['https://sub.example.com', 'a subdomain of an exact entry'],
    ['https://one.apps.example.org.evil.test', 'suffix trick on a pattern'],
    ['https://evilapps.example.org', 'glued label on a pattern'],
    ['https://a.b.apps.example.org', 'two labels under a pattern'],
    ['https://apps.example.org', 'the pattern domain itself'],
  ])('refuses %s (%s)', (origin) => {
    expect(allow(origin)).toBe(false);
  });

  it('compares scheme and port: http is not https, and ports must match', () => {
    expect(allow('http://example.com')).toBe(false);
    expect(allow('https://localhost:3000')).toBe(false);
    expect(allow('http://localhost:3001')).toBe(false);
    expect(allow('https://example.com:8443')).toBe(false);
    expect(allow('http://one.apps.example.org')).toBe(false);
    expect(allow('https://one.apps.example.org:8443')).toBe(false);
  });

  it('refuses headers that are not a serialised origin as browsers send it', () => {
    expect(allow('HTTPS://EXAMPLE.COM')).toBe(false);
    expect(allow('https://example.com/')).toBe(false);
    expect(allow('https://example.com:443')).toBe(false);
    expect(allow('https://example.com@evil.test')).toBe(false);
    expect(allow('https://example.com, https://evil.test')).toBe(false);
    expect(allow('file://example.com')).toBe(false);
  });
});
