import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { checkpointVerifierKeys, rotateCheckpointKey } from '../audit/checkpoint-key.js';
import { auditInboxDir, leaveAuditEntry } from '../audit/inbox.js';
import { auditOriginOf } from '../audit/origin.js';
import { readSigningKeys, retireSigningKey, rotateSigningKeys } from '../auth/key-files.js';
import type { SigningKeyRecord } from '../auth/key-ring.js';
import type { GatehouseConfig } from '../config/index.js';
import { ageInDays, keyDirectories, listManagedKeys } from '../keys/inventory.js';
import { createServiceKey, scheduleServiceKeyRetirement } from '../service-keys/files.js';
import type { CliIo } from './main.js';

const USAGE = `Usage:
  gatehouse keys list                               every managed key: kind, id, state, age
  gatehouse keys rotate jwt                         a new signing key; the previous one verifies on
  gatehouse keys rotate hmac <old-id> <new-id> [--overlap 1d]
                                                    a new service key; the old one is accepted for the overlap
  gatehouse keys rotate audit                       a new audit checkpoint key; old checkpoints still verify
  gatehouse keys retire <kid>                       stop accepting tokens of a verify-only signing key
`;

/**
 * `gatehouse keys`: the deployment's keys. A JWT rotation makes a new active key and keeps the
 * previous one verify-only for as long as a token it signed can live (the access-token lifetime
 * plus the clock tolerance); verify-only keys older than that are retired by the same command.
 * Running servers take up every change within seconds. Every change is an audit entry.
 */
export async function keysCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
  now: () => Date = () => new Date(),
): Promise<number> {
  const dirs = keyDirectories(config.dataDir);
  const [action, kind, ...rest] = args;

  switch (action) {
    case 'list': {
      if (args.length !== 1) break;
      const at = now();
      for (const key of await listManagedKeys(config.dataDir)) {
        const days = ageInDays(key, at);
        io.out(
          `${key.kind.padEnd(5)}  ${key.id}  ${key.state.padEnd(11)}  ` +
            `${days === undefined ? 'age unknown' : `${days} d`}\n`,
        );
      }
      return 0;
    }
    case 'rotate': {
      if (kind === 'jwt' && rest.length === 0) return rotateJwt(config, io, now());
      if (kind === 'hmac') return rotateHmac(rest, config, io, now());
      if (kind === 'audit' && rest.length === 0) {
        const origin = auditOriginOf(config.publicUrl);
        const before = (await checkpointVerifierKeys(dirs.audit, origin))[0];
        const rotated = await rotateCheckpointKey(dirs.audit, origin);
        await record(config, 'keys.rotate', 'keys/audit', {
          kind: 'audit',
          newId: rotated.verifierKey,
          previousId: before ?? '',
        });
        io.out(`${rotated.verifierKey}\n`);
        io.err(
          'Running servers sign the next checkpoint with the new key within seconds; checkpoints ' +
            'the old key signed still verify. Publish the new verifier key beside the old one.\n',
        );
        return 0;
      }
      break;
    }
    case 'retire': {
      if (kind === undefined || rest.length !== 0) break;
      const records = await retireSigningKey(dirs.jwt, kind, now());
      print(records, io, now());
      await record(config, 'keys.retire', `keys/jwt/${kind}`, { kind: 'jwt' });
      io.out('Running servers refuse tokens signed by the retired key within seconds.\n');
      return 0;
    }
  }
  io.err(USAGE);
  return 2;
}

async function rotateJwt(config: GatehouseConfig, io: CliIo, at: Date): Promise<number> {
  const dir = keyDirectories(config.dataDir).jwt;
  const before = await readSigningKeys(dir);
  let records = await rotateSigningKeys(dir, at);
  const active = records.find((key) => key.state === 'active');

  // A verify-only key stopped signing when the next key was made; once every token it signed
  // has expired, it is retired.
  const overlapMs = (config.auth.accessTokenSeconds + config.auth.clockToleranceSeconds) * 1000;
  const byAge = [...records].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  for (const [i, key] of byAge.entries()) {
    const successor = byAge[i + 1];
    if (key.state !== 'verify-only' || successor === undefined) continue;
    if (at.getTime() - Date.parse(successor.createdAt) >= overlapMs) {
      records = await retireSigningKey(dir, key.kid, at);
      await record(config, 'keys.retire', `keys/jwt/${key.kid}`, { kind: 'jwt' });
    }
  }
  print(records, io, at);
  await record(config, 'keys.rotate', 'keys/jwt', {
    kind: 'jwt',
    newId: active?.kid ?? '',
    previousId: before.find((key) => key.state === 'active')?.kid ?? '',
  });
  io.out(
    'Running servers sign with the new key within seconds; the previous key verifies until ' +
      'the next rotation after its tokens have expired retires it.\n',
  );
  return 0;
}

async function rotateHmac(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
  at: Date,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { overlap: { type: 'string', default: '1d' } },
    });
  } catch {
    io.err(USAGE);
    return 2;
  }
  const [oldId, newId] = parsed.positionals;
  const overlap = durationMs(parsed.values.overlap);
  if (oldId === undefined || newId === undefined || parsed.positionals.length !== 2 || !overlap) {
    io.err(USAGE);
    return 2;
  }
  const dir = keyDirectories(config.dataDir).hmac;
  const created = await createServiceKey(dir, newId, at);
  const until = new Date(at.getTime() + overlap);
  await scheduleServiceKeyRetirement(dir, oldId, until);
  await record(config, 'keys.rotate', `keys/hmac/${oldId}`, {
    kind: 'hmac',
    newId,
    previousId: oldId,
  });
  io.out(`key id: ${created.keyId}\nsecret: ${created.secret}\n`);
  io.err(
    `Give the new secret to the calling service; "${oldId}" is accepted until ` +
      `${until.toISOString()}, then refused.\n`,
  );
  return 0;
}

/** Leaves the change in the audit inbox; the running server appends it to the log. */
async function record(
  config: GatehouseConfig,
  action: string,
  resource: string,
  details: Record<string, string>,
): Promise<void> {
  await leaveAuditEntry(auditInboxDir(config.dataDir), {
    actor: { kind: 'service', id: 'gatehouse-cli' },
    action,
    resource,
    outcome: 'success',
    ip: '',
    userAgent: 'gatehouse-cli',
    requestId: randomUUID(),
    details,
  });
}

/** `30m`, `12h`, `1d` or `45s` in milliseconds; anything else is not a duration. */
function durationMs(text: string): number | undefined {
  const match = /^([1-9]\d{0,5})([smhd])$/.exec(text);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * unit;
}

function print(records: readonly SigningKeyRecord[], io: CliIo, at: Date): void {
  for (const key of records) {
    const days = Math.floor((at.getTime() - Date.parse(key.createdAt)) / 86_400_000);
    io.out(`jwt    ${key.kid}  ${key.state.padEnd(11)}  ${days} d\n`);
  }
}
