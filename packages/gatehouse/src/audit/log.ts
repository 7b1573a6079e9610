/**
 * The audit log engine: normalises entries, hands them to a store in batches (group commit),
 * signs checkpoints on a schedule, on demand and at close, and serves proofs from the stored
 * tree. It holds no tree of its own, so several instances may share one PostgreSQL store.
 * @module
 */
import { auditEntry, type AuditEntryInput, type AuditRecord } from './entry.js';
import { AuditError } from './errors.js';
import { consistencyProofAt, inclusionProofAt, rootAt } from './nodes.js';
import { checkQuery } from './query.js';
import type { AuditQuery, AuditStore, PendingEntry, WriteOutcome } from './store.js';
import {
  openCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './tlog/index.js';

/** Options of `createAuditLog`. */
export interface AuditLogOptions {
  readonly store: AuditStore;
  /** Signs checkpoints; see `loadOrCreateCheckpointKey`. */
  readonly signer: NoteSigner;
  /**
   * Keys of earlier signers, whose checkpoints the log still opens after a key rotation (the
   * latest stored checkpoint may carry an old key). @default none
   */
  readonly previousVerifiers?: readonly NoteVerifier[];
  /** The checkpoint origin line naming this log, by convention the signer's name. */
  readonly origin: string;
  /** How often to sign a checkpoint when entries were added; 0 turns the schedule off. @default 60_000 */
  readonly checkpointIntervalMs?: number;
  /** How often to retry storing spooled entries. @default 5_000 */
  readonly drainIntervalMs?: number;
  /** Entries per store write, at most. @default 1000 */
  readonly maxBatch?: number;
  /** The time for entries without a timestamp, in ms since the epoch. @default Date.now */
  readonly clock?: () => number;
  /**
   * Told of failures no caller is waiting for: a scheduled checkpoint, a drain, an entry
   * appended with `durable: false`. @default ignore them
   */
  readonly onError?: (error: unknown) => void;
}

/** Per-entry options of `append`. */
export interface AppendOptions {
  /** Resolve only once the entry is durable in the store. @default true */
  readonly durable?: boolean;
  /**
   * Reject rather than spool when the store cannot be reached, so the route can fail closed.
   * A required entry is always awaited, as if `durable` were true. @default false
   */
  readonly required?: boolean;
}

/** What `append` could promise about an entry when it resolved. */
export type AuditReceipt =
  /** Durable at position `seq`. */
  | { readonly status: 'stored'; readonly seq: number }
  /** Accepted with `durable: false`; the next batch writes it. */
  | { readonly status: 'queued' }
  /** Durable in the local spool; it gets its `seq` once the store is back. */
  | { readonly status: 'spooled' };

/** A signed checkpoint and what it states. */
export interface AuditCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  /** The C2SP signed note. */
  readonly note: string;
}

/** An inclusion proof for one record, checkable with `verifyInclusion(leafHash, seq, …)`. */
export interface AuditInclusionProof {
  readonly seq: number;
  readonly size: number;
  readonly record: AuditRecord;
  readonly leafHash: Uint8Array;
  readonly proof: Uint8Array[];
  readonly root: Uint8Array;
}

/** A consistency proof between two tree sizes, checkable with `verifyConsistency`. */
export interface AuditConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: Uint8Array;
  readonly newRoot: Uint8Array;
  readonly proof: Uint8Array[];
}

/** A page of query results; `next` is the `after` of the following page. */
export interface AuditQueryResult {
  readonly records: AuditRecord[];
  readonly next?: number;
}

/** The audit log `createAuditLog` returns. */
export interface AuditLog {
  /**
   * Normalises and appends an entry.
   * @throws {AuditLogError} `ERR_AUDIT_ENTRY_INVALID` for an entry `auditEntry` refuses.
   * @throws {AuditError} `ERR_AUDIT_UNAVAILABLE` when it could be neither stored nor spooled,
   *   or is `required` and the store is down; `ERR_AUDIT_CLOSED` after `close()`.
   */
  append(entry: AuditEntryInput, options?: AppendOptions): Promise<AuditReceipt>;
  /** Waits until every entry appended so far has been written or has failed. */
  flush(): Promise<void>;
  /** Signs and stores a checkpoint of the current tree, unless the latest one has its size. */
  checkpoint(): Promise<AuditCheckpoint>;
  latestCheckpoint(): Promise<AuditCheckpoint | undefined>;
  query(filter: AuditQuery): Promise<AuditQueryResult>;
  /** Proves record `seq` is in the tree of `size` records. @default size the current size */
  inclusionProof(seq: number, size?: number): Promise<AuditInclusionProof>;
  /** Proves the tree of `newSize` extends that of `oldSize`. @default newSize the current size */
  consistencyProof(oldSize: number, newSize?: number): Promise<AuditConsistencyProof>;
  /** Writes what is queued, signs a final checkpoint, and closes the store. */
  close(): Promise<void>;
  /**
   * Signs checkpoints with `next` from now on (a rotated checkpoint key); the previous key stays
   * among those the log opens its stored checkpoints with.
   */
  useSigner(next: NoteSigner): void;
}

interface Queued {
  readonly pending: PendingEntry;
  readonly settle?: { resolve(receipt: AuditReceipt): void; reject(error: unknown): void };
}

/**
 * Creates the audit log engine over a store.
 * @example
 * const log = createAuditLog({ store, signer: key.signer, origin: 'audit.example.com/log' });
 * await log.append({ actor: { kind: 'user', id }, action: 'notes.delete', … }, { required: true });
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { store, origin } = options;
  let signer = options.signer;
  const clock = options.clock ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const maxBatch = options.maxBatch ?? 1000;
  const interval = options.checkpointIntervalMs ?? 60_000;
  const drainInterval = options.drainIntervalMs ?? 5_000;
  if (!isCount(maxBatch) || maxBatch < 1 || !isCount(interval) || !isCount(drainInterval)) {
    invalid('maxBatch is a positive integer and intervals are non-negative integers');
  }
  const verifierOf = (key: NoteSigner) => parseVerifierKey(verifierKey(key.name, key.privateKey));
  let verifiers = [verifierOf(signer), ...(options.previousVerifiers ?? [])];

  const queue: Queued[] = [];
  // Writes and reads of the tree take turns: a batch in flight may have counted its records
  // before their tree nodes are stored, and a root or proof read then would miss a node.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusively = <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work, work);
    turn = run.catch(() => undefined);
    return run;
  };
  let writing: Promise<void> | undefined;
  let signing: Promise<AuditCheckpoint> | undefined;
  let closed = false;

  const write = async (): Promise<void> => {
    // One turn of the event loop lets every append made in the same turn join the batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      const outcomes = await exclusively(() =>
        store.write(batch.map((item) => item.pending)),
      ).catch((error: unknown) => batch.map((): WriteOutcome => ({ status: 'failed', error })));
      batch.forEach((item, i) => settle(item, outcomes[i]));
    }
  };
  const settle = (item: Queued, outcome: WriteOutcome | undefined): void => {
    if (outcome?.status === 'stored') item.settle?.resolve({ status: 'stored', seq: outcome.seq });
    else if (outcome?.status === 'spooled') item.settle?.resolve({ status: 'spooled' });
    else {
      const error = unavailable(outcome?.error);
      if (item.settle === undefined) onError(error);
      else item.settle.reject(error);
    }
  };
  const startWriter = (): void => {
    writing ??= write().finally(() => {
      writing = undefined;
      if (queue.length > 0) startWriter();
    });
  };
  const flush = async (): Promise<void> => {
    while (writing !== undefined) await writing;
  };

  const latest = async (): Promise<AuditCheckpoint | undefined> => {
    const note = await store.latestCheckpoint();
    if (note === undefined) return undefined;
    const { checkpoint } = openCheckpoint(note, verifiers, origin);
    return { size: checkpoint.size, root: checkpoint.root, note };
  };
  const sign = async (): Promise<AuditCheckpoint> => {
    const size = await store.size();
    const previous = await latest();
    if (previous !== undefined && previous.size >= size) return previous;

    const root = await rootAt(store.nodes, size);
    const note = signCheckpoint({ origin, size, root }, signer);
    await store.addCheckpoint(size, note);
    return (await latest()) ?? { size, root, note };
  };
  const checkpoint = (): Promise<AuditCheckpoint> =>
    (signing ??= exclusively(sign).finally(() => {
      signing = undefined;
    }));

  const timers = [
    interval > 0 &&
      setInterval(() => {
        void Promise.all([store.size(), latest()])
          .then(([size, last]) => (size > (last?.size ?? 0) ? checkpoint() : undefined))
          .catch(onError);
      }, interval),
    drainInterval > 0 &&
      setInterval(() => {
        if (store.spooled() > 0) store.drain().catch(onError);
      }, drainInterval),
  ].filter((timer) => timer !== false);
  timers.forEach((timer) => timer.unref());

  const sizeOrCurrent = async (size: number | undefined): Promise<number> => {
    const current = await store.size();
    const chosen = size ?? current;
    if (!isCount(chosen) || chosen > current) invalid('the tree size is beyond the stored log');
    return chosen;
  };

  return {
    async append(input, appendOptions = {}) {
      if (closed) throw closedError();
      const entry = auditEntry(input, clock);
      const required = appendOptions.required ?? false;
      const pending: PendingEntry = { entry, required };

      if (appendOptions.durable === false && !required) {
        queue.push({ pending });
        startWriter();
        return { status: 'queued' };
      }
      return new Promise<AuditReceipt>((resolve, reject) => {
        queue.push({ pending, settle: { resolve, reject } });
        startWriter();
      });
    },
    flush,
    checkpoint,
    latestCheckpoint: latest,
    async query(filter) {
      checkQuery(filter);
      const records = await store.query(filter);
      const last = records[records.length - 1];
      return records.length === filter.limit && last !== undefined
        ? { records, next: last.seq }
        : { records };
    },
    async inclusionProof(seq, size) {
      return exclusively(async () => {
        const treeSize = await sizeOrCurrent(size);
        if (!isCount(seq) || seq >= treeSize) invalid('the record is not in the tree of that size');
        const [record] = await store.read(seq, seq + 1);
        const [leafHash] = await store.nodes([{ level: 0, index: seq }]);
        if (record === undefined || leafHash === undefined) {
          throw new AuditError('ERR_AUDIT_STORE_CORRUPT', 'A stored record is missing.');
        }
        return {
          seq,
          size: treeSize,
          record,
          leafHash,
          proof: await inclusionProofAt(store.nodes, seq, treeSize),
          root: await rootAt(store.nodes, treeSize),
        };
      });
    },
    async consistencyProof(oldSize, newSize) {
      return exclusively(async () => {
        const size = await sizeOrCurrent(newSize);
        if (!isCount(oldSize) || oldSize > size) invalid('oldSize is at most newSize');
        return {
          oldSize,
          newSize: size,
          oldRoot: await rootAt(store.nodes, oldSize),
          newRoot: await rootAt(store.nodes, size),
          proof: await consistencyProofAt(store.nodes, oldSize, size),
        };
      });
    },
    useSigner(next) {
      if (next.name !== signer.name) invalid('a new checkpoint key keeps the log name');
      verifiers = [verifierOf(next), ...verifiers];
      signer = next;
    },
    async close() {
      if (closed) return;
      closed = true;
      timers.forEach((timer) => clearInterval(timer));
      try {
        await flush();
        if (store.spooled() > 0) await store.drain().catch(onError);
        await checkpoint();
      } finally {
        await store.close();
      }
    },
  };
}

function unavailable(cause: unknown): AuditError {
  if (cause instanceof AuditError) return cause;
  return new AuditError('ERR_AUDIT_UNAVAILABLE', 'The audit entry could not be stored.', { cause });
}

function closedError(): AuditError {
  return new AuditError('ERR_AUDIT_CLOSED', 'The audit log is closed.');
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function invalid(rule: string): never {
  throw new AuditError('ERR_AUDIT_OPTIONS_INVALID', `Invalid audit log request: ${rule}.`);
}
