import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { checkpointVerifierKeys } from '../audit/checkpoint-key.js';
import { fileAuditSource } from '../audit/file/source.js';
import { auditOriginOf } from '../audit/origin.js';
import { auditSetupSql } from '../audit/postgres/setup.js';
import { openPostgresAuditStore } from '../audit/postgres/store.js';
import type { AuditLogSource } from '../audit/store.js';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type NoteVerifier,
} from '../audit/tlog/index.js';
import { verifyAuditLog } from '../audit/verify.js';
import type { GatehouseConfig } from '../config/index.js';
import type { CliIo } from './main.js';

const USAGE = `Usage:
  gatehouse audit verify [--checkpoint <file>]... [--key <verifier key>] [--json]
  gatehouse audit proof <seq> [--size <n>]             an inclusion proof, as JSON
  gatehouse audit proof --from <old size> [--to <n>]   a consistency proof, as JSON
  gatehouse audit proof --check <file> [--checkpoint <file>] [--key <verifier key>]
  gatehouse audit key                                  the checkpoint verifier key
  gatehouse audit setup-sql [--writer-role <name>]     the SQL that prepares a PostgreSQL audit database
Exit codes: 0 the log (or proof) checks out, 1 it does not, 2 bad usage.
`;

interface Opened {
  readonly source: AuditLogSource;
  readonly origin: string;
  readonly verifiers: NoteVerifier[];
  readonly verifierKey: string;
  close(): Promise<void>;
}

/** The deployment's audit log, read-only: its files, or its PostgreSQL database. */
async function openLog(config: GatehouseConfig, key: string | undefined): Promise<Opened> {
  const origin = auditOriginOf(config.publicUrl);
  // The current key and every retired one, so checkpoints from before a rotation still verify.
  const keys =
    key === undefined
      ? await checkpointVerifierKeys(join(config.dataDir, 'secrets', 'audit'), origin)
      : [key];
  const verifierKey = keys[0] as string;
  const verifiers = keys.map(parseVerifierKey);
  if (config.auditDatabaseUrl) {
    const store = await openPostgresAuditStore(config.auditDatabaseUrl);
    return { source: store, origin, verifiers, verifierKey, close: () => store.close() };
  }
  const source = fileAuditSource(join(config.dataDir, 'audit'));
  return { source, origin, verifiers, verifierKey, close: async () => undefined };
}

/**
 * `gatehouse audit`: verifies the whole log (every leaf, root and checkpoint, and each checkpoint
 * against the one before), and produces and checks single proofs.
 */
export async function auditCommand(
  args: readonly string[],
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  const [action, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        checkpoint: { type: 'string', multiple: true, default: [] },
        key: { type: 'string' },
        json: { type: 'boolean', default: false },
        size: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        check: { type: 'string' },
        'writer-role': { type: 'string' },
      },
    });
  } catch {
    io.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;

  switch (action) {
    case 'setup-sql': {
      // Run by the database owner; the app then connects as the insert-only writer role.
      io.out(auditSetupSql(values['writer-role']));
      return 0;
    }
    case 'key': {
      const log = await openLog(config, values.key);
      io.out(`${log.verifierKey}\n`);
      return 0;
    }
    case 'verify': {
      if (positionals.length > 0) break;
      const external = await Promise.all(values.checkpoint.map((file) => readFile(file, 'utf8')));
      const log = await openLog(config, values.key);
      try {
        const result = await verifyAuditLog(log.source, {
          verifiers: log.verifiers,
          origin: log.origin,
          external,
        });
        if (values.json) io.out(`${JSON.stringify(result, jsonBytes, 2)}\n`);
        else if (result.ok) {
          io.out(
            `ok: ${result.entries} entries, ${result.checkpoints} checkpoints; latest checkpoint ` +
              `${result.latest?.size ?? 'none'}; root ${b64(result.root)}\n`,
          );
        } else {
          const m = result.firstMismatch;
          io.out(`FAILED at entry ${m?.index}: ${m?.kind}: ${m?.detail}\n`);
        }
        return result.ok ? 0 : 1;
      } finally {
        await log.close();
      }
    }
    case 'proof': {
      if (values.check !== undefined) return checkProof(values.check, values, config, io);
      const log = await openLog(config, values.key);
      try {
        const leaves: Uint8Array[] = [];
        for await (const record of log.source.records()) leaves.push(leafHash(record.bytes));
        const size = number(values.size ?? values.to) ?? leaves.length;
        if (size > leaves.length) return fail(io, `the log has ${leaves.length} entries`);
        if (values.from !== undefined) {
          const oldSize = number(values.from);
          if (oldSize === undefined || positionals.length > 0 || oldSize > size) break;
          const proof = consistencyProof(leaves, oldSize, size);
          const oldRoot = rootOf(leaves.slice(0, oldSize));
          const newRoot = rootOf(leaves.slice(0, size));
          io.out(
            `${JSON.stringify(
              {
                type: 'consistency',
                origin: log.origin,
                oldSize,
                newSize: size,
                oldRoot,
                newRoot,
                proof,
              },
              jsonBytes,
              2,
            )}\n`,
          );
          return 0;
        }
        const seq = number(positionals[0]);
        if (seq === undefined || positionals.length !== 1 || seq >= size) break;
        const proof = inclusionProof(leaves, seq, size);
        const record = new TextDecoder().decode(await recordAt(log.source, seq));
        io.out(
          `${JSON.stringify(
            {
              type: 'inclusion',
              origin: log.origin,
              seq,
              size,
              record,
              leafHash: leaves[seq],
              root: rootOf(leaves.slice(0, size)),
              proof,
            },
            jsonBytes,
            2,
          )}\n`,
        );
        return 0;
      } finally {
        await log.close();
      }
    }
  }
  io.err(USAGE);
  return 2;
}

/**
 * Checks a proof file on its own (the proof leads to its root) and, with `--checkpoint`, that
 * the root is the one a signed checkpoint of that size names.
 */
async function checkProof(
  file: string,
  values: { checkpoint: string[]; key?: string | undefined },
  config: GatehouseConfig,
  io: CliIo,
): Promise<number> {
  let proof: Record<string, unknown>;
  try {
    proof = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return fail(io, 'the proof file is not JSON');
  }
  const hashes = (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? value.map(unb64)
      : undefined;
  const hash = (value: unknown) => (typeof value === 'string' ? unb64(value) : undefined);

  let ok: boolean;
  let size: number;
  let root: Uint8Array | undefined;
  if (proof['type'] === 'inclusion') {
    const record = typeof proof['record'] === 'string' ? proof['record'] : undefined;
    const leaf =
      record === undefined ? hash(proof['leafHash']) : leafHash(new TextEncoder().encode(record));
    size = Number(proof['size']);
    root = hash(proof['root']);
    const path = hashes(proof['proof']);
    ok =
      !!leaf && !!root && !!path && verifyInclusion(leaf, Number(proof['seq']), size, path, root);
  } else if (proof['type'] === 'consistency') {
    size = Number(proof['newSize']);
    root = hash(proof['newRoot']);
    const oldRoot = hash(proof['oldRoot']);
    const path = hashes(proof['proof']);
    ok =
      !!root &&
      !!oldRoot &&
      !!path &&
      verifyConsistency(Number(proof['oldSize']), size, oldRoot, root, path);
  } else {
    return fail(io, 'the file is not a proof');
  }
  if (!ok) return fail(io, 'the proof does not check out');

  for (const checkpointFile of values.checkpoint) {
    const origin = auditOriginOf(config.publicUrl);
    const keys =
      values.key === undefined
        ? await checkpointVerifierKeys(join(config.dataDir, 'secrets', 'audit'), origin)
        : [values.key];
    let opened;
    try {
      opened = openCheckpoint(
        await readFile(checkpointFile, 'utf8'),
        keys.map(parseVerifierKey),
        origin,
      );
    } catch {
      return fail(io, `${checkpointFile} is not a checkpoint signed by the log's key`);
    }
    if (opened.checkpoint.size !== size || b64(opened.checkpoint.root) !== b64(root)) {
      return fail(
        io,
        `the proof's root is not the one the checkpoint of size ${opened.checkpoint.size} names`,
      );
    }
  }
  io.out(
    `ok: ${proof['type']} proof checks out${values.checkpoint.length > 0 ? ' against the checkpoint' : ''}\n`,
  );
  return 0;
}

async function recordAt(source: AuditLogSource, seq: number): Promise<Uint8Array> {
  let index = 0;
  for await (const record of source.records()) {
    if (index === seq) return record.bytes;
    index += 1;
  }
  return new Uint8Array();
}

function fail(io: CliIo, message: string): number {
  io.out(`FAILED: ${message}\n`);
  return 1;
}

function number(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function b64(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? 'none' : Buffer.from(bytes).toString('base64');
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** JSON with byte arrays as base64. */
function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}
