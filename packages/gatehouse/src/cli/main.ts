import { parseArgs } from 'node:util';

import { describeConfig, loadConfig } from '../config/index.js';
import { GatehouseError } from '../errors.js';
import { auditCommand } from './audit.js';
import { cspCommand } from './csp.js';
import { hmacKeysCommand, signCommand } from './hmac.js';
import { keysCommand } from './keys.js';
import { reviewCommand } from './review.js';
import { usersCommand } from './users.js';

/**
 * The `gatehouse` command line: operating the layers. It reads the same environment variables as
 * the reference API. Exit codes: 0 success, 1 findings or failure, 2 bad usage or configuration.
 * @module
 */

const USAGE = `Usage: gatehouse <command> [options]

Commands:
  config [--json]          check the configuration from the environment and print it, secrets redacted
  keys list                every managed key (JWT signing, service HMAC, audit checkpoint): state, age
  keys rotate jwt          a new active signing key; the previous one stays verify-only, and
                           verify-only keys whose tokens have all expired are retired
  keys rotate hmac <old-id> <new-id> [--overlap 1d]
                           a new service key (shown once); the old one is accepted for the overlap
  keys rotate audit        a new audit checkpoint key; checkpoints the old one signed still verify
  keys retire <kid>        stop accepting tokens signed by a verify-only key
  keys hmac create <id>    make a shared secret for a service calling internal routes (shown once)
  keys hmac list           list the service keys with their state and age (never the secrets)
  keys hmac retire <id>    stop accepting requests signed with a service key
  sign --key <id> [--method M] [--header 'n: v'] [--data body] <url>
                           sign a request with a service key and print the curl command
  audit verify [--checkpoint <file>] [--json]
                           check every entry, root and checkpoint of the audit log (exit 1 on a mismatch)
  audit proof <seq> | --from <n> [--to <n>] | --check <file> [--checkpoint <file>]
                           produce or check an inclusion or consistency proof
  audit key                the audit checkpoint verifier key
  audit setup-sql          the SQL a database owner runs to prepare AUDIT_DATABASE_URL's database
  csp report [--since 7d] [--json]
                           CSP violations over the period, grouped, and whether the policy is ready to
                           enforce (exit 0 ready, 1 not yet)
  review [--format text|markdown|json] [--fail-on high] [--rotate] ...
                           the periodic security review: key and secret ages, dependencies, config,
                           routes, audit log (exit 1 when a finding reaches --fail-on; see docs/review.md)
  users promote <email>    make an account an admin (how the first admin is made)
  users demote <email>     make an admin an ordinary user
  help                     show this text

Environment: GATEHOUSE_ENV, PORT, GATEHOUSE_PUBLIC_URL, GATEHOUSE_DATA_DIR,
GATEHOUSE_TRUSTED_PROXIES, GATEHOUSE_REQUEST_ID_HEADER, DATABASE_URL, LOG_LEVEL,
GATEHOUSE_BODY_LIMIT (see docs/configuration.md).
`;

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Runs one CLI invocation and returns its exit code. A refusal from the library (a key that
 * cannot be retired, an id in use) is one line on stderr and exit code 1, never a stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    io.err(`gatehouse: ${error.message}\n`);
    return 1;
  }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;

  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    case 'config':
      return configCommand(rest, io);
    case 'users': {
      const config = configOrExit(io);
      return config ? usersCommand(rest, config, io) : 2;
    }
    case 'audit': {
      const config = configOrExit(io);
      return config ? auditCommand(rest, config, io) : 2;
    }
    case 'csp': {
      const config = configOrExit(io);
      return config ? cspCommand(rest, config, io) : 2;
    }
    case 'keys': {
      const config = configOrExit(io);
      if (!config) return 2;
      return rest[0] === 'hmac'
        ? hmacKeysCommand(rest.slice(1), config, io)
        : keysCommand(rest, config, io);
    }
    case 'review': {
      const config = configOrExit(io);
      return config ? reviewCommand(rest, config, io) : 2;
    }
    case 'sign': {
      const config = configOrExit(io);
      return config ? signCommand(rest, config, io) : 2;
    }
    default:
      io.err(`gatehouse: unknown command "${command.slice(0, 40)}"\n\n${USAGE}`);
      return 2;
  }
}

function configCommand(args: readonly string[], io: CliIo): number {
  let json: boolean;
  try {
    json =
      parseArgs({ args: [...args], options: { json: { type: 'boolean' } } }).values.json ?? false;
  } catch {
    io.err(`gatehouse config: unknown option\n\n${USAGE}`);
    return 2;
  }

  try {
    const described = describeConfig(loadConfig(io.env));
    if (json) {
      io.out(`${JSON.stringify(described, null, 2)}\n`);
    } else {
      for (const [key, value] of Object.entries(described)) {
        io.out(`${key.padEnd(16)} ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof GatehouseError) {
      io.err(`gatehouse config: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function configOrExit(io: CliIo) {
  try {
    return loadConfig(io.env);
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    io.err(`gatehouse: ${error.message}\n`);
    return undefined;
  }
}
