/**
 * Verifying a whole audit log from what is stored: every record's bytes are re-read and
 * re-hashed, the tree is rebuilt from those hashes alone, and every signed checkpoint must open
 * with a known key and name a root the rebuilt tree has at its size. Two checkpoints that both
 * match the rebuilt tree are consistent with each other by construction, so no consistency
 * proof is needed between them; stored tree nodes are never trusted for a root.
 * @module
 */
import type { StoredRecord, AuditLogSource } from './store.js';
import { readRecord } from './entry.js';
import {
  createTreeBuilder,
  equalHashes,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  type Checkpoint,
  type NoteVerifier,
} from './tlog/index.js';

/** How the log stops matching. */
export type AuditMismatchKind =
  /** A record's bytes differ from what was logged (or no longer read as a record). */
  | 'changed'
  /** Records are missing from the middle of the log. */
  | 'deleted'
  /** Records appear out of order. */
  | 'reordered'
  /** A record appears that was not logged at this position. */
  | 'inserted'
  /** A checkpoint commits to more records than are stored. */
  | 'truncated'
  /** A checkpoint's signature does not verify with the given keys, or it is malformed. */
  | 'bad-signature'
  /**
   * A checkpoint names another log: the origin given (from the public URL) is not the one the
   * log was written under, or a checkpoint was copied in from another log.
   */
  | 'other-log'
  /** A checkpoint is stored after one with a larger size. */
  | 'checkpoint-order';

/** The first place where the stored log stops matching. */
export interface AuditMismatch {
  /** The first record position affected. */
  readonly index: number;
  readonly kind: AuditMismatchKind;
  /** One sentence for a report; never an entry's content. */
  readonly detail: string;
  /** Which checkpoint revealed it: its place among the stored ones, or `'external'`. */
  readonly checkpoint?: number | 'external';
}

/** The outcome of `verifyAuditLog`, shaped for a CLI report. */
export interface AuditVerification {
  readonly ok: boolean;
  /** Records read. */
  readonly entries: number;
  /** Stored checkpoints that opened with a known key. */
  readonly checkpoints: number;
  /** The largest checkpoint that opened and matched the records. */
  readonly latest?: Checkpoint;
  /** The root over every record, when all of them matched. */
  readonly root?: Uint8Array;
  readonly firstMismatch?: AuditMismatch;
}

/** Options of `verifyAuditLog`. */
export interface VerifyAuditLogOptions {
  /** The keys checkpoints may be signed with. */
  readonly verifiers: readonly NoteVerifier[];
  /** The log's origin line; checkpoints of any other log are refused. */
  readonly origin: string;
  /**
   * Signed checkpoints kept outside the store (a copy of the published one). Only such a copy
   * reveals the newest records being cut off together with the checkpoints that named them.
   */
  readonly external?: string | readonly string[];
}

interface Read {
  readonly position: number;
  readonly record: StoredRecord;
  readonly seq: number | undefined;
  readonly hash: Uint8Array;
}

interface Expected {
  readonly checkpoint: Checkpoint;
  readonly ordinal: number | 'external';
}

const LOOKAHEAD = 64;

/**
 * Verifies a stored log and reports the first position where it stops matching.
 * @example
 * const result = await verifyAuditLog(store, { verifiers: [parseVerifierKey(vkey)], origin });
 * if (!result.ok) report(result.firstMismatch); // { index: 17, kind: 'deleted', detail: '…' }
 */
export async function verifyAuditLog(
  source: AuditLogSource,
  options: VerifyAuditLogOptions,
): Promise<AuditVerification> {
  const found: AuditMismatch[] = [];
  const notes = await source.checkpoints();
  const external = typeof options.external === 'string' ? [options.external] : options.external;
  const expected = [
    ...openAll(notes, options, found, false),
    ...openAll(external ?? [], options, found, true),
  ].sort((a, b) => a.checkpoint.size - b.checkpoint.size);

  const tree = createTreeBuilder();
  let matched: Checkpoint | undefined;
  let pending = 0;
  const checkRoots = (): boolean => {
    for (; pending < expected.length; pending++) {
      const { checkpoint, ordinal } = expected[pending] as Expected;
      if (checkpoint.size > tree.size) return true;
      if (!equalHashes(checkpoint.root, tree.root())) {
        const from = matched?.size ?? 0;
        found.push({
          index: from,
          kind: 'changed',
          detail: `The records up to ${checkpoint.size} do not hash to the signed root; one from ${from} on was changed.`,
          checkpoint: ordinal,
        });
        return false;
      }
      matched = checkpoint;
    }
    return true;
  };

  let entries = 0;
  let intact = checkRoots();
  const window: Read[] = [];
  const reads = readAll(source.records());
  for (;;) {
    while (window.length <= LOOKAHEAD) {
      const next = await reads.next();
      if (next.done === true) break;
      window.push(next.value);
    }
    const current = window.shift();
    if (current === undefined) break;
    entries++;
    if (!intact) continue;

    if (anomalous(current)) {
      found.push(classify(current, window));
      intact = false;
      continue;
    }
    tree.append(current.hash);
    intact = checkRoots();
  }

  if (intact) {
    for (const { checkpoint, ordinal } of expected.slice(pending)) {
      found.push({
        index: entries,
        kind: 'truncated',
        detail: `A checkpoint commits to ${checkpoint.size} records; ${entries} are stored.`,
        checkpoint: ordinal,
      });
    }
  }

  const firstMismatch = found.reduce<AuditMismatch | undefined>(
    (first, each) => (first === undefined || each.index < first.index ? each : first),
    undefined,
  );
  return {
    ok: firstMismatch === undefined,
    entries,
    checkpoints: expected.filter((e) => e.ordinal !== 'external').length,
    ...(matched === undefined ? {} : { latest: matched }),
    ...(intact ? { root: tree.root() } : {}),
    ...(firstMismatch === undefined ? {} : { firstMismatch }),
  };
}

function openAll(
  notes: readonly string[],
  options: VerifyAuditLogOptions,
  found: AuditMismatch[],
  external: boolean,
): Expected[] {
  const opened: Expected[] = [];
  let largest = 0;
  notes.forEach((note, i) => {
    const ordinal = external ? 'external' : i;
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(note, options.verifiers, options.origin).checkpoint;
    } catch {
      const claimed = claimedCheckpoint(note);
      const otherLog = claimed !== undefined && claimed.origin !== options.origin;
      found.push({
        index: claimed?.size ?? 0,
        kind: otherLog ? 'other-log' : 'bad-signature',
        detail: otherLog
          ? `A checkpoint names the log "${claimed.origin.slice(0, 200)}", not ` +
            `"${options.origin.slice(0, 200)}": check the public URL the log is verified with.`
          : 'A checkpoint does not open with the given keys and origin.',
        checkpoint: ordinal,
      });
      return;
    }

    if (!external && checkpoint.size < largest) {
      found.push({
        index: checkpoint.size,
        kind: 'checkpoint-order',
        detail: `A checkpoint of size ${checkpoint.size} is stored after one of ${largest}.`,
        checkpoint: ordinal,
      });
    }
    largest = Math.max(largest, checkpoint.size);
    opened.push({ checkpoint, ordinal });
  });
  return opened;
}

/** The size an unverifiable checkpoint claims, to place the report; `undefined` if unreadable. */
/** What a note's body claims, read without checking any signature. */
function claimedCheckpoint(note: string): Checkpoint | undefined {
  try {
    return parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1));
  } catch {
    return undefined;
  }
}

async function* readAll(records: AsyncIterable<StoredRecord>): AsyncGenerator<Read> {
  let position = 0;
  for await (const record of records) {
    yield { position, record, seq: readRecord(record.bytes)?.seq, hash: leafHash(record.bytes) };
    position++;
  }
}

function anomalous({ position, record, seq, hash }: Read): boolean {
  if (seq !== position) return true;
  if (record.key !== undefined && record.key !== position) return true;
  return record.leaf !== undefined && !equalHashes(record.leaf, hash);
}

/** Names what happened at the first anomalous record, looking at the records after it. */
function classify(current: Read, after: readonly Read[]): AuditMismatch {
  const { position: index, seq } = current;
  const next = after[0];

  if (seq !== undefined && seq > index && after.some((r) => r.seq === index)) {
    return { index, kind: 'reordered', detail: `Record ${index} is stored after record ${seq}.` };
  }
  if (next?.seq === index) {
    return { index, kind: 'inserted', detail: `A record not logged at ${index} was inserted.` };
  }
  if (seq !== undefined && seq > index && (next === undefined || next.seq === seq + 1)) {
    const range = seq - 1 === index ? `${index} is` : `${index} to ${seq - 1} are`;
    return { index, kind: 'deleted', detail: `Record ${range} missing.` };
  }
  if (seq !== undefined && seq < index) {
    return { index, kind: 'inserted', detail: `A second copy of record ${seq} was inserted.` };
  }
  return { index, kind: 'changed', detail: `Record ${index} differs from what was logged.` };
}
