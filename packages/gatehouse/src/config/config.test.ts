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
});
