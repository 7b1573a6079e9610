import { describe, expect, it } from 'vitest';

import { loadConfig, type GatehouseConfig } from '../config/index.js';
import { configFindings, SENSITIVE_RATE_POLICIES } from './config-lint.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const base = loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/gatehouse-review-lint' });

/** The development defaults with some settings changed, as a deployment might have them. */
function config(change: {
  environment?: GatehouseConfig['environment'];
  cors?: Partial<GatehouseConfig['cors']>;
  auth?: Partial<GatehouseConfig['auth']>;
  headers?: Partial<GatehouseConfig['headers']>;
  policies?: GatehouseConfig['rateLimit']['policies'];
}): GatehouseConfig {
  return {
    ...base,
    environment: change.environment ?? base.environment,
    cors: { ...base.cors, ...change.cors },
    auth: { ...base.auth, ...change.auth },
    headers: { ...base.headers, ...change.headers },
    rateLimit: { ...base.rateLimit, policies: change.policies ?? base.rateLimit.policies },
  };
}

const lint = (c: GatehouseConfig, since?: string) =>
  configFindings(c, { now: NOW, cspReportOnlySince: since, cspRolloutDays: 30 }).map((f) => [
    f.id,
    f.severity,
  ]);

describe('configFindings', () => {
  it('finds nothing in the defaults', () => {
    expect(lint(base)).toEqual([]);
  });

  it('rates wildcard CORS high, and critical in production', () => {
    expect(lint(config({ cors: { origins: ['*'] } }))).toEqual([['cors:wildcard', 'high']]);
    const production = config({
      environment: 'production',
      cors: { origins: ['*'] },
      headers: { behindTlsProxy: true },
    });
    expect(lint(production)).toEqual([['cors:wildcard', 'critical']]);
  });

  it('notes credentials sent to pattern origins', () => {
    const c = config({ cors: { origins: ['https://*.example.com'], credentials: true } });
    expect(lint(c)).toEqual([['cors:credentials-with-patterns', 'low']]);
    expect(lint(config({ cors: { origins: ['https://*.example.com'] } }))).toEqual([]);
  });

  it('rates access tokens over 15 minutes high', () => {
    expect(lint(config({ auth: { accessTokenSeconds: 900 } }))).toEqual([]);
    expect(lint(config({ auth: { accessTokenSeconds: 901 } }))).toEqual([
      ['auth:access-token-lifetime', 'high'],
    ]);
  });

  it('follows the report-only CSP rollout from GATEHOUSE_CSP_REPORT_ONLY_SINCE', () => {
    const reportOnly = config({ headers: { cspMode: 'report-only' } });
    expect(lint(reportOnly)).toEqual([['csp:rollout-start-unknown', 'low']]);
    expect(lint(reportOnly, 'last spring')).toEqual([['csp:rollout-start-unknown', 'low']]);
    expect(lint(reportOnly, '2026-06-10')).toEqual([['csp:report-only', 'info']]);
    expect(lint(reportOnly, '2026-05-30')).toEqual([['csp:report-only-overdue', 'medium']]);
  });

  it('rates HSTS off in production high', () => {
    expect(lint(config({ environment: 'production', headers: { behindTlsProxy: false } }))).toEqual(
      [['hsts:off', 'high']],
    );
  });

  it('requires every sensitive policy, exact where the defaults are exact', () => {
    const policies = Object.fromEntries(
      Object.entries(base.rateLimit.policies).filter(([name]) => name !== 'auth-reset'),
    );
    const approximate = {
      ...policies,
      'auth-login': { limit: 10, windowSeconds: 300, by: 'ip' as const },
      'auth-refresh': { limit: 60, windowSeconds: 300, by: 'ip' as const },
    };
    expect(lint(config({ policies: approximate }))).toEqual([
      ['rate-limit:approximate:auth-login', 'medium'],
      ['rate-limit:missing:auth-reset', 'high'],
    ]);
    expect(SENSITIVE_RATE_POLICIES).toContain('auth-refresh');
  });
});
