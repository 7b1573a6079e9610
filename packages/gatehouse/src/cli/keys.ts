import { join } from 'node:path';

import { loadOrCreateSigningKeys, retireSigningKey, rotateSigningKeys } from '../auth/key-files.js';
import type { SigningKeyRecord } from '../auth/key-ring.js';
import type { GatehouseConfig } from '../config/index.js';
import type { CliIo } from './main.js';

const USAGE = 'Usage: gatehouse keys list | gatehouse keys rotate | gatehouse keys retire <kid>\n';

/**
 * `gatehouse keys`: the access-token signing keys under `<dataDir>/secrets/jwt`. A rotation makes
 * a new active key and keeps the previous one verify-only, so tokens it signed stay valid; retire
 * it once every such token has expired (the access-token lifetime plus the clock tolerance).
 */
export async function keysCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  const dir = join(config.dataDir, 'secrets', 'jwt');
  const [action, kid] = args;

  switch (action) {
    case 'list':
      if (args.length !== 1) break;
      print(await loadOrCreateSigningKeys(dir), io);
      return 0;
    case 'rotate':
      if (args.length !== 1) break;
      print(await rotateSigningKeys(dir), io);
      io.out('Restart the servers to sign with the new key; the previous key still verifies.\n');
      return 0;
    case 'retire':
      if (kid === undefined || args.length !== 2) break;
      print(await retireSigningKey(dir, kid), io);
      io.out('Restart the servers: tokens signed by the retired key are refused from then on.\n');
      return 0;
  }
  io.err(USAGE);
  return 2;
}

function print(records: readonly SigningKeyRecord[], io: CliIo): void {
  const now = Date.now();
  for (const record of records) {
    const days = Math.floor((now - Date.parse(record.createdAt)) / 86_400_000);
    io.out(`${record.kid}  ${record.state.padEnd(11)}  created ${record.createdAt} (${days} d)\n`);
  }
}
