import { hostname } from 'node:os';
import { join } from 'node:path';

import {
  auditInboxDir,
  auditOriginOf,
  checkpointVerifierKeys,
  createAuditLog,
  drainAuditInbox,
  loadOrCreateCheckpointKey,
  openFileAuditStore,
  openPostgresAuditStore,
  parseVerifierKey,
  type AuditEntryInput,
  type AuditLog,
} from 'gatehouse/audit';
import { currentAuditDetails } from 'gatehouse/next';
import type { AuditRecord, AuditRecorder } from 'gatehouse/pipeline';

import { getConfig } from './config';
import { getLogger } from './log';
import { forgetProcessSingleton, processSingleton } from './process-singleton';
import { onShutdown } from './shutdown';

export interface AppAudit {
  readonly log: AuditLog;
  /** What the pipeline writes each request's entry to. */
  readonly recorder: AuditRecorder;
  /** The checkpoint key's verifier string (C2SP `<name>+<hash>+<key>`), for verifying copies. */
  readonly verifierKey: string;
  readonly origin: string;
}

/**
 * The app's audit log: its own PostgreSQL database when `AUDIT_DATABASE_URL` is set, else
 * append-only files under `<data dir>/audit`; checkpoints signed with the key under
 * `<data dir>/secrets/audit`. Opened at start (a store that fails to open stops the start) and
 * closed at shutdown with a final checkpoint.
 */
export function getAudit(): Promise<AppAudit> {
  return processSingleton('audit', () =>
    open().catch((error: unknown) => {
      forgetProcessSingleton('audit');
      throw error;
    }),
  );
}

async function open(): Promise<AppAudit> {
  const config = getConfig();
  const logger = getLogger();
  const origin = auditOriginOf(config.publicUrl);
  const keyDir = join(config.dataDir, 'secrets', 'audit');
  const key = await loadOrCreateCheckpointKey(keyDir, origin);
  const [, ...previous] = await checkpointVerifierKeys(keyDir, origin);
  const store = config.auditDatabaseUrl
    ? await openPostgresAuditStore(config.auditDatabaseUrl, {
        // One spool per instance: instances of a deployment may share the data directory.
        spoolPath: join(config.dataDir, 'audit-spool', `${hostname()}-${config.port}.jsonl`),
      })
    : await openFileAuditStore(join(config.dataDir, 'audit'));
  const log = createAuditLog({
    store,
    signer: key.signer,
    previousVerifiers: previous.map(parseVerifierKey),
    origin,
    onError: (error) => logger.error({ err: error }, 'audit log error'),
  });

  let failed = false;
  const recorder: AuditRecorder = {
    // Spooled entries mean the store is away: required actions wait until it is back.
    available: () => !failed && store.spooled() === 0,
    async record(entry, { durable }) {
      try {
        await log.append(toInput(entry, currentAuditDetails()), { durable });
        failed = false;
      } catch (error) {
        failed = true;
        throw error;
      }
    },
  };

  await log.append(systemEntry('audit.start'), { durable: true });
  await log.checkpoint();
  drainInbox(log, config.dataDir);
  watchCheckpointKey(log, keyDir, origin, key.verifierKey);
  onShutdown(async () => {
    await log.append(systemEntry('audit.stop'), { durable: true });
    await log.close();
  });
  logger.info({ origin, store: config.auditDatabaseUrl ? 'postgres' : 'files' }, 'audit log open');
  return { log, recorder, verifierKey: key.verifierKey, origin };
}

function toInput(
  entry: AuditRecord,
  details: Record<string, string | number | boolean> | undefined,
): AuditEntryInput {
  return {
    actor: entry.actor.kind === 'anonymous' ? { kind: 'anonymous' } : entry.actor,
    action: entry.action,
    resource: entry.resource,
    outcome: entry.outcome,
    ip: entry.ip ?? '',
    userAgent: entry.userAgent ?? '',
    timestamp: entry.timestamp,
    requestId: entry.requestId,
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    ...(details === undefined ? {} : { details }),
  };
}

/**
 * Appends, every 2 seconds, the entries commands left in the inbox (`gatehouse keys rotate`,
 * `gatehouse review`): only this process may write the log.
 */
function drainInbox(log: AuditLog, dataDir: string): void {
  const dir = auditInboxDir(dataDir);
  let running: Promise<unknown> | undefined;
  const drain = () => {
    running ??= drainAuditInbox(
      dir,
      (entry) => log.append(entry, { durable: true }),
      (name, error) => getLogger().warn({ err: error, name }, 'audit inbox entry refused'),
    )
      .catch((error: unknown) => getLogger().error({ err: error }, 'audit inbox not drained'))
      .finally(() => {
        running = undefined;
      });
  };
  drain();
  setInterval(drain, 2_000).unref();
}

/**
 * Takes up a rotated checkpoint key (`gatehouse keys rotate audit`) within seconds: the next
 * checkpoint is signed with it, and those the old key signed still open.
 */
function watchCheckpointKey(log: AuditLog, dir: string, origin: string, initial: string): void {
  let current = initial;
  setInterval(() => {
    loadOrCreateCheckpointKey(dir, origin)
      .then((key) => {
        if (key.verifierKey === current) return;
        current = key.verifierKey;
        log.useSigner(key.signer);
        getLogger().info({ verifierKey: key.verifierKey }, 'audit checkpoint key rotated');
      })
      .catch((error: unknown) => getLogger().error({ err: error }, 'checkpoint key not read'));
  }, 5_000).unref();
}

/** An entry the log writes about itself: its start and its stop. */
function systemEntry(action: string): AuditEntryInput {
  return {
    actor: { kind: 'service', id: 'gatehouse' },
    action,
    resource: 'audit-log',
    outcome: 'success',
    ip: '',
    userAgent: '',
    requestId: crypto.randomUUID(),
  };
}
