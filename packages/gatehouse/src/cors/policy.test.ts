import { describe, expect, it } from 'vitest';

import { createCorsPolicy } from './policy.js';

describe('createCorsPolicy', () => {
  it('answers a preflight with explicit methods and headers, and the max age', () => {
    const policy = createCorsPolicy({ origins: ['https://app.example.com'] });
    expect(policy.allows('https://app.example.com')).toBe(true);
    expect(new Map(policy.preflightHeaders('https://app.example.com', ['GET', 'POST']))).toEqual(
      new Map([
        ['access-control-allow-origin', 'https://app.example.com'],
        ['access-control-allow-methods', 'GET, POST'],
        ['access-control-allow-headers', 'authorization, content-type'],
        ['access-control-max-age', '7200'],
      ]),
    );
  });

  it('exposes the rate-limit headers and the request id, and echoes the origin exactly', () => {
    const policy = createCorsPolicy({ origins: ['https://*.example.com'], credentials: true });
    const headers = new Map(policy.answerHeaders('https://one.example.com'));
    expect(headers.get('access-control-allow-origin')).toBe('https://one.example.com');
    expect(headers.get('access-control-allow-credentials')).toBe('true');
    expect(headers.get('access-control-expose-headers')).toBe(
      'x-request-id, ratelimit, ratelimit-policy, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after',
    );
  });

  it('sends credentials only when configured', () => {
    const policy = createCorsPolicy({ origins: ['https://app.example.com'] });
    expect(
      new Map(policy.answerHeaders('https://app.example.com')).has(
        'access-control-allow-credentials',
      ),
    ).toBe(false);
  });

  it('refuses every origin in production, and every origin with credentials anywhere', () => {
    expect(() => createCorsPolicy({ origins: ['*'], production: true })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_UNSAFE' }),
    );
    expect(() => createCorsPolicy({ origins: ['*'], credentials: true })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('allows any origin with * outside production, answering *, but never null', () => {
    const policy = createCorsPolicy({ origins: ['*'] });
    expect(policy.allows('https://anything.test')).toBe(true);
    expect(policy.allows('null')).toBe(false);
    expect(
      new Map(policy.answerHeaders('https://anything.test')).get('access-control-allow-origin'),
    ).toBe('*');
  });

  it('refuses a max age over a day and header names that are not tokens', () => {
    expect(() => createCorsPolicy({ origins: [], maxAgeSeconds: 86_401 })).toThrow();
    expect(createCorsPolicy({ origins: [], maxAgeSeconds: 86_400 })).toBeDefined();
    expect(() => createCorsPolicy({ origins: [], allowHeaders: ['x-a, x-b'] })).toThrow();
    expect(() =>
      createCorsPolicy({ origins: [], exposeHeaders: ['x-a\r\nset-cookie: a=b'] }),
    ).toThrow();
  });
});
