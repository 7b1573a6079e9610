import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { GatehouseConfig } from '../config/index.js';
import {
  createServiceKey,
  describeServiceKeys,
  readServiceKeys,
  retireServiceKey,
} from '../service-keys/files.js';
import { signRequest } from '../signatures/sign.js';
import type { CliIo } from './main.js';

const KEYS_USAGE =
  'Usage: gatehouse keys hmac create <key-id> | gatehouse keys hmac list | gatehouse keys hmac retire <key-id>\n';

/** Where the deployment keeps the shared secrets of services that call internal routes. */
export function serviceKeyDir(config: GatehouseConfig): string {
  return join(config.dataDir, 'secrets', 'hmac');
}

/**
 * `gatehouse keys hmac`: the shared secrets of services that call internal routes. `create`
 * prints the new secret once, for the calling service; running servers take it up within
 * seconds. Several keys may be active at once: that is the rotation overlap.
 */
export async function hmacKeysCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  const dir = serviceKeyDir(config);
  const [action, keyId] = args;
  switch (action) {
    case 'create': {
      if (keyId === undefined || args.length !== 2) break;
      const record = await createServiceKey(dir, keyId);
      io.out(`key id: ${record.keyId}\nsecret: ${record.secret}\n`);
      io.err(
        'Give the secret (base64url, 32 bytes) to the calling service over a channel fit for ' +
          'secrets; it is not shown again. Running servers accept it within seconds.\n',
      );
      return 0;
    }
    case 'list': {
      if (args.length !== 1) break;
      const now = Date.now();
      for (const key of describeServiceKeys(await readServiceKeys(dir))) {
        const days = Math.floor((now - Date.parse(key.createdAt)) / 86_400_000);
        io.out(`${key.keyId}  ${key.state.padEnd(7)}  created ${key.createdAt} (${days} d)\n`);
      }
      return 0;
    }
    case 'retire': {
      if (keyId === undefined || args.length !== 2) break;
      const retired = await retireServiceKey(dir, keyId);
      io.out(`${retired.keyId} retired; requests signed with it are refused within seconds.\n`);
      return 0;
    }
  }
  io.err(KEYS_USAGE);
  return 2;
}

const SIGN_USAGE =
  "Usage: gatehouse sign --key <key-id> [--method POST] [--header 'name: value']... [--data <body>] <url>\n";

/**
 * `gatehouse sign`: signs one request with a service key from this deployment and prints the
 * curl command that sends it, for trying internal routes by hand. The signature is valid for
 * 60 seconds and once.
 */
export async function signCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        key: { type: 'string' },
        method: { type: 'string', default: 'POST' },
        header: { type: 'string', multiple: true, default: [] },
        data: { type: 'string' },
      },
    });
  } catch {
    io.err(SIGN_USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const [target] = positionals;
  if (values.key === undefined || target === undefined || positionals.length !== 1) {
    io.err(SIGN_USAGE);
    return 2;
  }

  let url: URL;
  const headers = new Headers();
  try {
    url = new URL(target);
    for (const line of values.header) {
      const colon = line.indexOf(':');
      if (colon < 1) throw new TypeError('a header is "name: value"');
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  } catch {
    io.err(SIGN_USAGE);
    return 2;
  }
  if (values.data !== undefined && !headers.has('content-type')) {
    headers.set('content-type', 'application/json');
  }

  const record = (await readServiceKeys(serviceKeyDir(config))).find(
    (key) => key.keyId === values.key && key.state === 'active',
  );
  if (!record) {
    io.err(`gatehouse sign: no active service key "${values.key.slice(0, 64)}"\n`);
    return 1;
  }

  const method = values.method.toUpperCase();
  const signed = await signRequest(
    new Request(url, { method, headers, body: values.data ?? null }),
    { id: record.keyId, secret: new Uint8Array(Buffer.from(record.secret, 'base64url')) },
  );
  const parts = ['curl', '-i', '-X', method, shellQuote(url.href)];
  for (const [name, value] of signed.headers) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (values.data !== undefined) parts.push('--data-binary', shellQuote(values.data));
  io.out(`${parts.join(' ')}\n`);
  return 0;
}

/** A POSIX shell single-quoted word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
