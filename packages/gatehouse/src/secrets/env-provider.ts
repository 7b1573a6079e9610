/**
 * Read-only secrets from environment variables: `db/password` is `GATEHOUSE_SECRET_DB_PASSWORD`.
 * Convenient in development and in platforms that only offer variables, but every child
 * process inherits them, crash reporters and `/proc/<pid>/environ` expose them, and they carry
 * no dates, so a review cannot tell their age. `envProviderWarnings` says so for production.
 * @module
 */
import { assertSecretName } from './names.js';
import {
  readOnlyError,
  secretBytes,
  type SecretMetadata,
  type SecretProvider,
} from './provider.js';

/** Options of `createEnvSecretProvider`. */
export interface EnvSecretProviderOptions {
  /** Where variables are read, at every call. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Prepended to every variable name. @default 'GATEHOUSE_SECRET_' */
  readonly prefix?: string;
}

const DEFAULT_PREFIX = 'GATEHOUSE_SECRET_';
const LISTED_SUFFIX = /^[A-Z0-9][A-Z0-9_]*$/;

/**
 * The variable that holds secret `name`: the prefix, then the name upper-cased with every
 * character but letters and digits turned into `_`. Names differing only in `.`, `-`, `_` or
 * `/` (`db/password`, `db-password`) share a variable.
 * @example
 * envSecretVariable('db/password'); // 'GATEHOUSE_SECRET_DB_PASSWORD'
 */
export function envSecretVariable(name: string, prefix: string = DEFAULT_PREFIX): string {
  assertSecretName(name);
  return prefix + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * A read-only `env` provider. An empty variable counts as unset. Listed names are the lower-case
 * variable suffixes (`GATEHOUSE_SECRET_DB_PASSWORD` lists as `db_password`), which map back to
 * the same variable. Dates and versions are always `undefined`.
 * @example
 * const secrets = createEnvSecretProvider();
 * const pepper = await secrets.get('password-pepper'); // GATEHOUSE_SECRET_PASSWORD_PEPPER
 */
export function createEnvSecretProvider(options: EnvSecretProviderOptions = {}): SecretProvider {
  const environment = options.environment ?? process.env;
  const prefix = options.prefix ?? DEFAULT_PREFIX;

  const lookup = (name: string): string | undefined => {
    const value = environment[envSecretVariable(name, prefix)];
    return value === undefined || value === '' ? undefined : value;
  };

  return {
    kind: 'env',
    writable: false,

    async get(name) {
      const value = lookup(name);
      return value === undefined
        ? undefined
        : { value: secretBytes(value), metadata: undatedMetadata(name) };
    },

    async metadata(name) {
      return lookup(name) === undefined ? undefined : undatedMetadata(name);
    },

    async list() {
      return Object.keys(environment)
        .filter((key) => key.startsWith(prefix) && environment[key] !== '')
        .map((key) => key.slice(prefix.length))
        .filter((suffix) => LISTED_SUFFIX.test(suffix) && suffix.length <= 128)
        .map((suffix) => suffix.toLowerCase())
        .sort()
        .map(undatedMetadata);
    },

    async put(name) {
      assertSecretName(name);
      throw readOnlyError('env');
    },
  };
}

/**
 * What to warn about at start-up when secrets come from environment variables: nothing in
 * development; in production, one line naming the risks. The provider itself never logs: the
 * caller passes these lines to its logger.
 * @example
 * for (const line of envProviderWarnings(config.environment)) logger.warn(line);
 */
export function envProviderWarnings(environment: 'development' | 'production'): string[] {
  if (environment !== 'production') return [];
  return [
    'secrets are read from environment variables: child processes inherit them, diagnostics ' +
      'may print them, and they carry no dates for review; prefer a secret manager or mounted ' +
      'secret files in production',
  ];
}

function undatedMetadata(name: string): SecretMetadata {
  return { name, version: undefined, createdAt: undefined, updatedAt: undefined };
}
