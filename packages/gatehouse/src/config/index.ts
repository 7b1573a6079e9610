import { isAbsolute, resolve } from 'node:path';

import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import { parseTrustedProxies, type TrustedProxies } from '../pipeline/client-ip.js';

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
  const config: GatehouseConfig = {
    environment: vars.GATEHOUSE_ENV,
    port: vars.PORT,
    publicUrl: new URL(vars.GATEHOUSE_PUBLIC_URL ?? `http://localhost:${vars.PORT}`).origin,
    // The hint keeps bundlers from tracing the whole project into a deployment for this call.
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(/* turbopackIgnore: true */ dataDir),
    trustedProxies: parseTrustedProxies(vars.GATEHOUSE_TRUSTED_PROXIES),
    requestIdHeader: vars.GATEHOUSE_REQUEST_ID_HEADER.toLowerCase(),
    databaseUrl: vars.DATABASE_URL,
    logLevel: vars.LOG_LEVEL,
    bodyLimit: vars.GATEHOUSE_BODY_LIMIT,
  };

  if (config.environment === 'production') refuseUnsafe(config, vars.GATEHOUSE_PUBLIC_URL);
  return config;
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
}

/** The configuration with nothing secret in it, for `gatehouse config` and start-up logs. */
export function describeConfig(config: GatehouseConfig): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : redactUrl(config.databaseUrl),
  };
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = 'redacted';
  return parsed.toString();
}
