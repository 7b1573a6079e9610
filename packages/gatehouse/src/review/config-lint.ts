/**
 * Configuration lint: settings that start without complaint yet weaken a deployment, read from
 * the validated configuration (and, for the CSP rollout, its start date).
 * @module
 */
import type { GatehouseConfig } from '../config/index.js';
import { defaultRatePolicies } from '../rate-limit/defaults.js';
import type { Finding } from './finding.js';

/** The routes an attacker hammers: each needs its own policy. */
export const SENSITIVE_RATE_POLICIES = [
  'auth-login',
  'auth-register',
  'auth-password',
  'auth-forgot',
  'auth-reset',
  'auth-refresh',
] as const;

const MAX_ACCESS_TOKEN_SECONDS = 900;
const DAY_MS = 86_400_000;

/** Options of `configFindings`. */
export interface ConfigLintOptions {
  readonly now: Date;
  /** `GATEHOUSE_CSP_REPORT_ONLY_SINCE` as set, if it is: when the report-only rollout began. */
  readonly cspReportOnlySince: string | undefined;
  /** How long a policy may stay report-only. @default 30 */
  readonly cspRolloutDays?: number;
}

/** Every configuration finding, in the order the checks run. */
export function configFindings(config: GatehouseConfig, options: ConfigLintOptions): Finding[] {
  return [
    ...corsFindings(config),
    ...accessTokenFindings(config),
    ...cspFindings(config, options),
    ...hstsFindings(config),
    ...rateLimitFindings(config),
  ];
}

export function corsFindings(config: GatehouseConfig): Finding[] {
  const production = config.environment === 'production';
  const findings: Finding[] = [];
  if (config.cors.origins.includes('*')) {
    findings.push({
      id: 'cors:wildcard',
      severity: production ? 'critical' : 'high',
      title: 'CORS allows every origin',
      detail:
        'Any web page can call the API from its visitors’ browsers and read the answers' +
        (production ? ', in production.' : '.'),
      fix: 'List the origins that need access in GATEHOUSE_CORS_ORIGINS.',
    });
  }
  const patterns = config.cors.origins.filter((origin) => origin !== '*' && origin.includes('*'));
  if (config.cors.credentials && patterns.length > 0) {
    findings.push({
      id: 'cors:credentials-with-patterns',
      severity: 'low',
      title: 'CORS sends credentials to pattern origins',
      detail:
        `Every host matching ${patterns.join(', ')} can make credentialed calls; a takeover of ` +
        'any one subdomain is enough.',
      fix: 'List the exact origins that need credentials, if they are few.',
    });
  }
  return findings;
}

export function accessTokenFindings(config: GatehouseConfig): Finding[] {
  if (config.auth.accessTokenSeconds <= MAX_ACCESS_TOKEN_SECONDS) return [];
  return [
    {
      id: 'auth:access-token-lifetime',
      severity: 'high',
      title: `access tokens live ${config.auth.accessTokenSeconds} s, more than 15 minutes`,
      detail:
        'An access token cannot be revoked; a stolen one works until it expires, and a key ' +
        'rotation has to keep the old key for as long.',
      fix: 'Set GATEHOUSE_ACCESS_TOKEN_TTL to 900 or less; refresh tokens keep users signed in.',
    },
  ];
}

export function cspFindings(config: GatehouseConfig, options: ConfigLintOptions): Finding[] {
  if (config.headers.cspMode !== 'report-only') return [];
  const rolloutDays = options.cspRolloutDays ?? 30;
  const since =
    options.cspReportOnlySince === undefined ? undefined : new Date(options.cspReportOnlySince);
  if (since === undefined || Number.isNaN(since.getTime())) {
    return [
      {
        id: 'csp:rollout-start-unknown',
        severity: 'low',
        title: 'CSP is report-only and the rollout start is unknown',
        detail:
          since === undefined
            ? 'GATEHOUSE_CSP_REPORT_ONLY_SINCE is not set, so the review cannot tell how long ' +
              'the policy has gone unenforced.'
            : 'GATEHOUSE_CSP_REPORT_ONLY_SINCE is not an ISO date.',
        fix: 'Set GATEHOUSE_CSP_REPORT_ONLY_SINCE to the date the rollout began (2026-01-31).',
      },
    ];
  }

  const days = Math.floor((options.now.getTime() - since.getTime()) / DAY_MS);
  if (days <= rolloutDays) {
    return [
      {
        id: 'csp:report-only',
        severity: 'info',
        title: `CSP is report-only, day ${Math.max(days, 0)} of a ${rolloutDays}-day rollout`,
        detail: 'Violations are reported, not blocked, while the policy is tried.',
        fix: 'Check `gatehouse csp report` before the period ends.',
      },
    ];
  }
  return [
    {
      id: 'csp:report-only-overdue',
      severity: 'medium',
      title: `CSP has been report-only for ${days} days`,
      detail: `The rollout period is ${rolloutDays} days; until it is enforced, the policy blocks nothing.`,
      fix: 'Run `gatehouse csp report`; when it is ready, set GATEHOUSE_CSP_MODE=enforce.',
    },
  ];
}

export function hstsFindings(config: GatehouseConfig): Finding[] {
  if (config.environment !== 'production' || config.headers.behindTlsProxy) return [];
  return [
    {
      id: 'hsts:off',
      severity: 'high',
      title: 'HSTS is off in production',
      detail:
        'The public URL is not https, so Strict-Transport-Security is never sent and a ' +
        'network attacker can keep browsers on plain HTTP.',
      fix: 'Serve the app over TLS and set GATEHOUSE_PUBLIC_URL to its https origin.',
    },
  ];
}

/**
 * Each sensitive policy must exist (high), and those the defaults count exactly must still use
 * `sliding-log` (medium): an approximate window lets a burst at its edge through.
 */
export function rateLimitFindings(config: GatehouseConfig): Finding[] {
  const findings: Finding[] = [];
  for (const name of SENSITIVE_RATE_POLICIES) {
    const policy = config.rateLimit.policies[name];
    if (policy === undefined) {
      findings.push({
        id: `rate-limit:missing:${name}`,
        severity: 'high',
        title: `no rate-limit policy "${name}"`,
        detail:
          'A sensitive route without its own limit is open to credential stuffing and floods.',
        fix: `Keep "${name}" in GATEHOUSE_RATE_LIMITS (the default is safe).`,
      });
      continue;
    }
    const exact = defaultRatePolicies[name]?.algorithm === 'sliding-log';
    if (exact && policy.algorithm !== 'sliding-log') {
      findings.push({
        id: `rate-limit:approximate:${name}`,
        severity: 'medium',
        title: `rate-limit policy "${name}" is not exact`,
        detail: 'It counts with an approximate window; a sensitive route should use sliding-log.',
        fix: `Set "algorithm": "sliding-log" for "${name}" in GATEHOUSE_RATE_LIMITS.`,
      });
    }
  }
  return findings;
}
