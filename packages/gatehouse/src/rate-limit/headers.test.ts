import { parseList } from 'structured-headers';
import { describe, expect, it } from 'vitest';

import { rateLimitHeaders } from './headers.js';

const ip = { policy: 'ip', limit: 600, windowSeconds: 60, remaining: 599, resetSeconds: 60 };
const login = {
  policy: 'auth-login',
  limit: 10,
  windowSeconds: 300,
  remaining: 2,
  resetSeconds: 170,
};

describe('rate-limit headers', () => {
  it('lists every policy in RateLimit-Policy and RateLimit (structured fields)', () => {
    const headers = new Map(rateLimitHeaders([ip, login]));

    expect(headers.get('ratelimit-policy')).toBe('"ip";q=600;w=60, "auth-login";q=10;w=300');
    expect(headers.get('ratelimit')).toBe('"ip";r=599;t=60, "auth-login";r=2;t=170');
    expect(parseList(headers.get('ratelimit')!)).toHaveLength(2);
  });

  it('describes the policy closest to exhaustion in X-RateLimit-*', () => {
    const headers = new Map(rateLimitHeaders([ip, login]));
    expect([
      headers.get('x-ratelimit-limit'),
      headers.get('x-ratelimit-remaining'),
      headers.get('x-ratelimit-reset'),
    ]).toEqual(['10', '2', '170']);
  });

  it('prefers the longer wait when two policies have the same remaining', () => {
    const a = { ...ip, remaining: 0, resetSeconds: 5 };
    const b = { ...login, remaining: 0, resetSeconds: 90 };
    expect(new Map(rateLimitHeaders([a, b])).get('x-ratelimit-reset')).toBe('90');
  });

  it('adds nothing when no policy applied', () => {
    expect(rateLimitHeaders([])).toEqual([]);
  });
});
