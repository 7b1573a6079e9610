import { isAbsolute, resolve } from 'node:path';

import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { parseTrustedProxies, type TrustedProxies } from '../pipeline/client-ip.js';
import type { RatePolicy } from '../rate-limit/limiter.js';
import { createCorsPolicy } from '../cors/policy.js';
import { ratePolicies } from '../rate-limit/overrides.js';

/**
 * The deployment settings shared by the reference API and the CLI, read from environment
 * variables and checked once at start-up. Settings that are unsafe in production refuse to start
 * there, with a message naming the variable to change.
 * @module
 */

/** The validated configuration. */
export interface GatehouseConfig {
  /** `production` turns unsafe settings into start-up errors. */
  readonly environment: 'development' | 'production';
  readonly port: number;
  /** The deployment's public origin: the app's own origin and the base of every link it sends. */
  readonly publicUrl: string;
  /** Where the embedded defaults keep their state. */
  readonly dataDir: string;
  readonly trustedProxies: TrustedProxies;
  readonly requestIdHeader: string;
  /** PostgreSQL URL of the app database; SQLite under `dataDir` when absent. */
  readonly databaseUrl: string | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Default request body limit in bytes. */
  readonly bodyLimit: number;
  /** Redis URL for shared state (sessions when `auth.sessionStore` is `redis`). */
  readonly redisUrl: string | undefined;
  /** The audit log's own PostgreSQL database; unset: append-only files under the data directory. */
  readonly auditDatabaseUrl: string | undefined;
  readonly auth: AuthConfig;
  readonly mail: MailConfig;
  readonly rateLimit: RateLimitConfig;
  readonly headers: HeadersConfig;
  readonly cors: CorsConfig;
  readonly secrets: SecretsConfig;
}

/**
 * Where service keys (the shared secrets of internal calls) come from: `files` is the embedded
 * store under `<data dir>/secrets/hmac` with rotation overlaps; `env` and `vault` read secrets
 * named `hmac/<key id>` through a secret provider.
 */
export interface SecretsConfig {
  readonly provider: 'files' | 'env' | 'vault';
  readonly vault:
    | {
        readonly address: string;
        readonly token: string;
        readonly mount: string;
        readonly pathPrefix: string;
        readonly namespace: string | undefined;
      }
    | undefined;
}

/** Which other origins may call the API from a browser; see `createCorsPolicy`. */
export interface CorsConfig {
  /** Exact origins and `https://*.domain` patterns; empty: no other origin. */
  readonly origins: readonly string[];
  readonly credentials: boolean;
  readonly allowHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

/** Response headers: the CSP rollout and HSTS. */
export interface HeadersConfig {
  /** How pages get their CSP: `report-only` while it is tried, then `enforce`. */
  readonly cspMode: 'report-only' | 'enforce';
  /**
   * The page policy by directive, instead of the default (`DEFAULT_PAGE_CSP`); the source
   * `'nonce-{nonce}'` stands for each response's nonce.
   */
  readonly cspPolicy: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * A stricter policy sent report-only beside the enforced one, by directive; the source
   * `'nonce-{nonce}'` stands for each response's nonce. Only with `cspMode: 'enforce'`.
   */
  readonly cspCandidate: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * Clients reach the app over TLS terminated in front of it: the public URL is https. HSTS is
   * then sent on every answer, not only on those that arrived over HTTPS.
   */
  readonly behindTlsProxy: boolean;
  /** Adds `preload` to HSTS. */
  readonly hstsPreload: boolean;
}

/** Settings of the rate-limiting layer. */
export interface RateLimitConfig {
  /** Where counters live: this process (`memory`), or Redis shared by every instance. */
  readonly store: 'memory' | 'redis';
  /** Every policy by name: the defaults, with `GATEHOUSE_RATE_LIMITS` merged over them. */
  readonly policies: Readonly<Record<string, RatePolicy>>;
  /** IPv6 clients count per prefix of this length. */
  readonly ipv6Prefix: number;
}

/** Settings of the authentication layer. */
export interface AuthConfig {
  /** Access-token lifetime; more than 15 minutes refuses to start in production. */
  readonly accessTokenSeconds: number;
  /** Leeway for clock differences when checking `exp`, `nbf` and `iat`; at most 60 s. */
  readonly clockToleranceSeconds: number;
  /** Absolute lifetime of a login's refresh family. */
  readonly sessionLifetimeSeconds: number;
  /** A refresh family unused this long expires. */
  readonly sessionIdleSeconds: number;
  /** Window in which a just-rotated refresh token still yields the same successor. */
  readonly refreshGraceSeconds: number;
  /** Where refresh families live: the app database, or Redis (`REDIS_URL`). */
  readonly sessionStore: 'database' | 'redis';
  /** Let refresh and logout accept requests with neither `Origin` nor `Sec-Fetch-Site`. */
  readonly allowNonBrowserClients: boolean;
}

/** How mail leaves: files in `<dataDir>/outbox` by default, SMTP when `smtpUrl` is set. */
export interface MailConfig {
  readonly smtpUrl: string | undefined;
  readonly from: string;
}

const Environment = z.object({
  GATEHOUSE_ENV: z.enum(['development', 'production']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  GATEHOUSE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  GATEHOUSE_DATA_DIR: z.string().min(1).optional(),
  GATEHOUSE_TRUSTED_PROXIES: z.string().optional(),
  GATEHOUSE_REQUEST_ID_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .default('x-request-id'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GATEHOUSE_BODY_LIMIT: z.coerce.number().int().min(1).max(50_000_000).default(100_000),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  AUDIT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  GATEHOUSE_ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(600),
  GATEHOUSE_CLOCK_TOLERANCE: z.coerce.number().int().min(0).max(60).default(5),
  GATEHOUSE_SESSION_LIFETIME: z.coerce.number().int().min(60).max(31_536_000).default(2_592_000),
  GATEHOUSE_SESSION_IDLE: z.coerce.number().int().min(60).max(31_536_000).default(604_800),
  GATEHOUSE_REFRESH_GRACE: z.coerce.number().int().min(0).max(60).default(10),
  GATEHOUSE_SESSION_STORE: z.enum(['database', 'redis']).default('database'),
  GATEHOUSE_ALLOW_NON_BROWSER_CLIENTS: z.enum(['true', 'false']).default('false'),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  GATEHOUSE_RATE_LIMIT_STORE: z.enum(['memory', 'redis']).default('memory'),
  GATEHOUSE_RATE_LIMITS: z.string().max(20_000).optional(),
  GATEHOUSE_RATE_LIMIT_IPV6_PREFIX: z.coerce.number().int().min(32).max(128).default(64),
  GATEHOUSE_CSP_MODE: z.enum(['report-only', 'enforce']).default('enforce'),
  GATEHOUSE_CSP_POLICY: z.string().max(20_000).optional(),
  GATEHOUSE_CSP_CANDIDATE: z.string().max(20_000).optional(),
  GATEHOUSE_HSTS_PRELOAD: z.enum(['true', 'false']).default('false'),
  GATEHOUSE_SECRET_PROVIDER: z.enum(['files', 'env', 'vault']).default('files'),
  VAULT_ADDR: z.url({ protocol: /^https?$/ }).optional(),
  VAULT_TOKEN: z.string().min(1).max(4_096).optional(),
  VAULT_NAMESPACE: z.string().min(1).max(200).optional(),
  GATEHOUSE_VAULT_MOUNT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
    .default('secret'),
  GATEHOUSE_VAULT_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/-]{0,127}$/)
    .default('gatehouse'),
  GATEHOUSE_CORS_ORIGINS: z.string().max(20_000).optional(),
  GATEHOUSE_CORS_CREDENTIALS: z.enum(['true', 'false']).default('false'),
  GATEHOUSE_CORS_ALLOW_HEADERS: z.string().max(2_000).default('authorization, content-type'),
  GATEHOUSE_CORS_MAX_AGE: z.coerce.number().int().min(0).max(86_400).default(7200),
  GATEHOUSE_MAIL_FROM: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[^\r\n]*$/)
    .optional(),
});

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** Where `.data/` is when `GATEHOUSE_DATA_DIR` is unset. @default `<cwd>/.data` */
  readonly defaultDataDir?: string;
}

/**
 * Reads and validates the configuration.
 *
 * @example const config = loadConfig(process.env);
 * @throws GatehouseError `ERR_CONFIG_INVALID` listing every bad variable, or `ERR_CONFIG_UNSAFE`
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): GatehouseConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = Environment.safeParse(present);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => String(issue.path[0] ?? 'environment'));
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      `Configuration is not valid; check ${[...new Set(names)].join(', ')}`,
    );
  }

  const vars = parsed.data;
  const dataDir = vars.GATEHOUSE_DATA_DIR ?? options.defaultDataDir ?? '.data';
  const publicUrl = new URL(vars.GATEHOUSE_PUBLIC_URL ?? `http://localhost:${vars.PORT}`).origin;
  const config: GatehouseConfig = {
    environment: vars.GATEHOUSE_ENV,
    port: vars.PORT,
    publicUrl,
    // The hint keeps bundlers from tracing the whole project into a deployment for this call.
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(/* turbopackIgnore: true */ dataDir),
    trustedProxies: parseTrustedProxies(vars.GATEHOUSE_TRUSTED_PROXIES),
    requestIdHeader: vars.GATEHOUSE_REQUEST_ID_HEADER.toLowerCase(),
    databaseUrl: vars.DATABASE_URL,
    logLevel: vars.LOG_LEVEL,
    bodyLimit: vars.GATEHOUSE_BODY_LIMIT,
    redisUrl: vars.REDIS_URL,
    auditDatabaseUrl: vars.AUDIT_DATABASE_URL,
    auth: {
      accessTokenSeconds: vars.GATEHOUSE_ACCESS_TOKEN_TTL,
      clockToleranceSeconds: vars.GATEHOUSE_CLOCK_TOLERANCE,
      sessionLifetimeSeconds: vars.GATEHOUSE_SESSION_LIFETIME,
      sessionIdleSeconds: vars.GATEHOUSE_SESSION_IDLE,
      refreshGraceSeconds: vars.GATEHOUSE_REFRESH_GRACE,
      sessionStore: vars.GATEHOUSE_SESSION_STORE,
      allowNonBrowserClients: vars.GATEHOUSE_ALLOW_NON_BROWSER_CLIENTS === 'true',
    },
    rateLimit: {
      store: vars.GATEHOUSE_RATE_LIMIT_STORE,
      policies: ratePolicies(vars.GATEHOUSE_RATE_LIMITS),
      ipv6Prefix: vars.GATEHOUSE_RATE_LIMIT_IPV6_PREFIX,
    },
    headers: {
      cspMode: vars.GATEHOUSE_CSP_MODE,
      cspPolicy: cspDirectives('GATEHOUSE_CSP_POLICY', vars.GATEHOUSE_CSP_POLICY),
      cspCandidate: cspDirectives('GATEHOUSE_CSP_CANDIDATE', vars.GATEHOUSE_CSP_CANDIDATE),
      behindTlsProxy: publicUrl.startsWith('https://'),
      hstsPreload: vars.GATEHOUSE_HSTS_PRELOAD === 'true',
    },
    secrets: {
      provider: vars.GATEHOUSE_SECRET_PROVIDER,
      vault:
        vars.VAULT_ADDR !== undefined && vars.VAULT_TOKEN !== undefined
          ? {
              address: vars.VAULT_ADDR,
              token: vars.VAULT_TOKEN,
              mount: vars.GATEHOUSE_VAULT_MOUNT,
              pathPrefix: vars.GATEHOUSE_VAULT_PREFIX,
              namespace: vars.VAULT_NAMESPACE,
            }
          : undefined,
    },
    cors: {
      origins: commaList(vars.GATEHOUSE_CORS_ORIGINS ?? ''),
      credentials: vars.GATEHOUSE_CORS_CREDENTIALS === 'true',
      allowHeaders: commaList(vars.GATEHOUSE_CORS_ALLOW_HEADERS),
      maxAgeSeconds: vars.GATEHOUSE_CORS_MAX_AGE,
    },
    mail: {
      smtpUrl: vars.SMTP_URL,
      from: vars.GATEHOUSE_MAIL_FROM ?? `Gatehouse <no-reply@${new URL(publicUrl).hostname}>`,
    },
  };

  if (config.rateLimit.store === 'redis' && config.redisUrl === undefined) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'GATEHOUSE_RATE_LIMIT_STORE=redis needs REDIS_URL',
    );
  }
  if (config.auth.sessionStore === 'redis' && config.redisUrl === undefined) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'GATEHOUSE_SESSION_STORE=redis needs REDIS_URL');
  }

  if (config.headers.cspCandidate !== undefined && config.headers.cspMode !== 'enforce') {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'GATEHOUSE_CSP_CANDIDATE is tried beside an enforced policy: set GATEHOUSE_CSP_MODE=enforce',
    );
  }

  if (config.secrets.provider === 'vault' && config.secrets.vault === undefined) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'GATEHOUSE_SECRET_PROVIDER=vault needs VAULT_ADDR and VAULT_TOKEN',
    );
  }

  // The policy is built here once only to refuse a bad one at start-up, production rules included.
  createCorsPolicy({ ...config.cors, production: config.environment === 'production' });

  if (config.environment === 'production') refuseUnsafe(config, vars.GATEHOUSE_PUBLIC_URL);
  return config;
}

function commaList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const CspDirectives = z.record(
  z.string().min(1).max(64),
  z.array(z.string().min(1).max(1_000)).max(100),
);

/**
 * `GATEHOUSE_CSP_POLICY` or `_CANDIDATE`: a JSON object of directive → sources. Only its shape is
 * checked here; the CSP builder checks the policy itself when the app starts.
 */
function cspDirectives(name: string, text: string | undefined) {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = CspDirectives.safeParse(json);
  if (!parsed.success) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      `${name} must be a JSON object of directive names to lists of sources`,
    );
  }
  return parsed.data;
}

function refuseUnsafe(config: GatehouseConfig, publicUrl: string | undefined): void {
  if (publicUrl === undefined) {
    throw new GatehouseError(
      'ERR_CONFIG_UNSAFE',
      'GATEHOUSE_PUBLIC_URL must be set in production: links and origin checks depend on it',
    );
  }
  if (!config.publicUrl.startsWith('https://')) {
    throw new GatehouseError(
      'ERR_CONFIG_UNSAFE',
      'GATEHOUSE_PUBLIC_URL must use https in production',
    );
  }
  if (config.auth.accessTokenSeconds > 900) {
    throw new GatehouseError(
      'ERR_CONFIG_UNSAFE',
      'GATEHOUSE_ACCESS_TOKEN_TTL must be at most 900 seconds (15 minutes) in production',
    );
  }
}

/** The configuration with nothing secret in it, for `gatehouse config` and start-up logs. */
export function describeConfig(config: GatehouseConfig): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : redactUrl(config.databaseUrl),
    redisUrl: config.redisUrl === undefined ? undefined : redactUrl(config.redisUrl),
    auditDatabaseUrl:
      config.auditDatabaseUrl === undefined ? undefined : redactUrl(config.auditDatabaseUrl),
    secrets: {
      ...config.secrets,
      vault:
        config.secrets.vault === undefined
          ? undefined
          : { ...config.secrets.vault, token: 'redacted' },
    },
    mail: {
      ...config.mail,
      smtpUrl: config.mail.smtpUrl === undefined ? undefined : redactUrl(config.mail.smtpUrl),
    },
  };
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = 'redacted';
  return parsed.toString();
}
