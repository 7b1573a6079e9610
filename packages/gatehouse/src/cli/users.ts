import { join } from 'node:path';

import { accountMigrations, createAccountStore, normaliseEmail } from '../auth/accounts/index.js';
import type { GatehouseConfig } from '../config/index.js';
import { migrate, openPostgres, openSqlite, type SqlClient } from '../sql/index.js';
import type { CliIo } from './main.js';

/**
 * `gatehouse users`: account administration from the command line, on the app database the
 * configuration names. It is how the first admin is made: register through the API, then
 * `gatehouse users promote <email>`.
 */
export async function usersCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  const [action, email] = args;
  if ((action !== 'promote' && action !== 'demote') || email === undefined || args.length !== 2) {
    io.err('Usage: gatehouse users promote <email> | gatehouse users demote <email>\n');
    return 2;
  }

  const db = openAppDatabase(config);
  try {
    await migrate(db, accountMigrations);
    const accounts = createAccountStore(db);
    const account = await accounts.findByEmail(email);
    if (!account) {
      io.err(
        `gatehouse users: no account has the address ${normaliseEmail(email).slice(0, 254)}\n`,
      );
      return 1;
    }

    const role = action === 'promote' ? 'admin' : 'user';
    await accounts.setRole(account.id, role);
    io.out(`${account.email} is now ${role === 'admin' ? 'an admin' : 'a user'}.\n`);
    io.out(
      'The role is in access tokens issued from now on; existing tokens keep theirs until they expire.\n',
    );
    return 0;
  } finally {
    await db.close();
  }
}

/** The app database as the reference API opens it: PostgreSQL when configured, else SQLite. */
export function openAppDatabase(config: GatehouseConfig): SqlClient {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl)
    : openSqlite(join(config.dataDir, 'app.db'));
}
