import { describe, expect, it } from 'vitest';

import { describeConfig, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('needs nothing for the embedded defaults', () => {
    const config = loadConfig({}, { defaultDataDir: '/srv/gatehouse/.data' });

    expect(config).toMatchObject({
      environment: 'development',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      dataDir: '/srv/gatehouse/.data',
      trustedProxies: { kind: 'none' },
      databaseUrl: undefined,
      bodyLimit: 100_000,
    });
  });

  it('derives the public URL from PORT unless it is set, and keeps only its origin', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://api.example.com/base/' }).publicUrl).toBe(
      'https://api.example.com',
    );
  });

  it('names every bad variable, without echoing values', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://root:hunter2@db/app',
        LOG_LEVEL: 'loud',
      });

    expect(attempt).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(attempt).toThrow(/PORT, DATABASE_URL, LOG_LEVEL/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it('refuses to start in production over plain http or without a public URL', () => {
    const unsafe = expect.objectContaining({ code: 'ERR_CONFIG_UNSAFE' });
    expect(() => loadConfig({ GATEHOUSE_ENV: 'production' })).toThrow(unsafe);
    expect(() =>
      loadConfig({ GATEHOUSE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'http://api.example.com' }),
    ).toThrow(unsafe);
    expect(
      loadConfig({ GATEHOUSE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'https://api.example.com' })
        .environment,
    ).toBe('production');
  });

  it('refuses a malformed trusted-proxy list', () => {
    expect(() => loadConfig({ GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(
      expect.objectContaining({ code: 'ERR_TRUSTED_PROXY_INVALID' }),
    );
  });

  it('redacts the database password when described', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:s3cret@db:5432/app' });
    expect(JSON.stringify(describeConfig(config))).not.toContain('s3cret');
  });

  it('has the authentication defaults: 10-minute tokens, 5 s tolerance, 30 d / 7 d sessions', () => {
    expect(loadConfig({}).auth).toEqual({
      accessTokenSeconds: 600,
      clockToleranceSeconds: 5,
      sessionLifetimeSeconds: 2_592_000,
      sessionIdleSeconds: 604_800,
      refreshGraceSeconds: 10,
      sessionStore: 'database',
      allowNonBrowserClients: false,
    });
  });

  it('refuses access tokens living longer than 15 minutes in production, and allows them elsewhere', () => {
    const production = { GATEHOUSE_ENV: 'production', GATEHOUSE_PUBLIC_URL: 'https://api.test' };
    expect(() => loadConfig({ ...production, GATEHOUSE_ACCESS_TOKEN_TTL: '901' })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_UNSAFE', message: expect.stringMatching(/900/) }),
    );
    expect(
      loadConfig({ ...production, GATEHOUSE_ACCESS_TOKEN_TTL: '900' }).auth.accessTokenSeconds,
    ).toBe(900);
    expect(loadConfig({ GATEHOUSE_ACCESS_TOKEN_TTL: '3600' }).auth.accessTokenSeconds).toBe(3600);
  });

  it('refuses a clock tolerance above 60 s and a Redis session store without REDIS_URL', () => {
    expect(() => loadConfig({ GATEHOUSE_CLOCK_TOLERANCE: '61' })).toThrow(
      /GATEHOUSE_CLOCK_TOLERANCE/,
    );
    expect(() => loadConfig({ GATEHOUSE_SESSION_STORE: 'redis' })).toThrow(/REDIS_URL/);
  });

  it('redacts SMTP and Redis passwords when described', () => {
    const config = loadConfig({
      SMTP_URL: 'smtps://mailer:smtp-secret@mail.test',
      REDIS_URL: 'redis://:redis-secret@cache.test:6379',
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain('smtp-secret');
    expect(described).not.toContain('redis-secret');
  });

  it('reads the CSP rollout and HSTS settings, and refuses malformed policies', () => {
    const plain = loadConfig({});
    expect(plain.headers).toEqual({
      cspMode: 'enforce',
      cspPolicy: undefined,
      cspCandidate: undefined,
      behindTlsProxy: false,
      hstsPreload: false,
    });

    const proxied = loadConfig({
      GATEHOUSE_PUBLIC_URL: 'https://api.example',
      GATEHOUSE_HSTS_PRELOAD: 'true',
      GATEHOUSE_CSP_CANDIDATE: JSON.stringify({ 'default-src': ["'none'"] }),
    });
    expect(proxied.headers.behindTlsProxy).toBe(true);
    expect(proxied.headers.hstsPreload).toBe(true);
    expect(proxied.headers.cspCandidate).toEqual({ 'default-src': ["'none'"] });

    expect(() => loadConfig({ GATEHOUSE_CSP_MODE: 'off' })).toThrow(/GATEHOUSE_CSP_MODE/);
    expect(() => loadConfig({ GATEHOUSE_CSP_POLICY: "default-src 'self'" })).toThrow(
      /GATEHOUSE_CSP_POLICY must be a JSON object/,
    );
    expect(() => loadConfig({ GATEHOUSE_CSP_POLICY: '{"default-src": "self"}' })).toThrow(
      /GATEHOUSE_CSP_POLICY/,
    );
    // A candidate is tried beside an enforced policy, never instead of one.
    expect(() =>
      loadConfig({
        GATEHOUSE_CSP_MODE: 'report-only',
        GATEHOUSE_CSP_CANDIDATE: JSON.stringify({ 'default-src': ["'none'"] }),
      }),
    ).toThrow(/GATEHOUSE_CSP_MODE=enforce/);
  });
});
