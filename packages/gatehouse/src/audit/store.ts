/**
 * What the audit log engine asks of a store, and what `verifyAuditLog` reads from one. Two
 * stores implement it: append-only files (`openFileAuditStore`) and a separate PostgreSQL
 * database (`openPostgresAuditStore`).
 * @module
 */
import type { AuditEntry, AuditRecord } from './entry.js';

/** One normalised entry on its way to a store, with what its caller asked of it. */
export interface PendingEntry {
  readonly entry: AuditEntry;
  /** Refuse rather than spool when the store cannot be reached. */
  readonly required: boolean;
}

/** What became of one pending entry. */
export type WriteOutcome =
  | { readonly status: 'stored'; readonly seq: number }
  | { readonly status: 'spooled' }
  | { readonly status: 'failed'; readonly error: unknown };

/** One record as a store holds it, read back without interpretation for verification. */
export interface StoredRecord {
  /** The stored bytes: a segment line, or the `entry` column. */
  readonly bytes: Uint8Array;
  /** The leaf hash the store keeps beside the record, when it keeps one. */
  readonly leaf?: Uint8Array;
  /** The position the store files the record under (PostgreSQL's `seq` column), if separate. */
  readonly key?: number;
}

/** The read side `verifyAuditLog` needs: every record in stored order, every checkpoint. */
export interface AuditLogSource {
  /** Every record, in the order the store keeps them. */
  records(): AsyncIterable<StoredRecord>;
  /** Every signed checkpoint note, oldest first. */
  checkpoints(): Promise<string[]>;
}

/** The root of a perfect subtree, as `NodeReader` addresses it. */
export interface NodeKey {
  readonly level: number;
  readonly index: number;
}

/** A filter over stored records, for an admin view; results come in `seq` order. */
export interface AuditQuery {
  /** The actor's id. */
  readonly actor?: string;
  readonly action?: string;
  readonly resource?: string;
  readonly outcome?: AuditEntry['outcome'];
  /** Entries at or after this instant. */
  readonly from?: Date;
  /** Entries before this instant. */
  readonly to?: Date;
  /** Only records with a `seq` above this one: the `next` of the previous page. */
  readonly after?: number;
  /** At most this many records, 1 to 1000. */
  readonly limit: number;
}

/** A store of audit records, their Merkle tree nodes and their checkpoints. */
export interface AuditStore extends AuditLogSource {
  /**
   * Stores a batch in order, assigning consecutive sequence numbers, and resolves once the
   * stored entries are durable. Never rejects: each entry's outcome says what became of it.
   */
  write(batch: readonly PendingEntry[]): Promise<WriteOutcome[]>;
  /** Entries stored so far, counting those other writers stored in a shared database. */
  size(): Promise<number>;
  /** The roots of the given perfect subtrees, in the order asked. */
  nodes(keys: readonly NodeKey[]): Promise<Uint8Array[]>;
  /** The records with `seq` in `[start, end)`, in order. */
  read(start: number, end: number): Promise<AuditRecord[]>;
  /** Keeps a signed checkpoint for tree size `size`; one already kept for that size wins. */
  addCheckpoint(size: number, note: string): Promise<void>;
  /** The signed checkpoint with the largest size, if any. */
  latestCheckpoint(): Promise<string | undefined>;
  query(filter: AuditQuery): Promise<AuditRecord[]>;
  /** Entries held locally for a store that could not be reached, not yet stored. */
  spooled(): number;
  /** Stores what was spooled, in order, if the store can be reached; resolves to how many. */
  drain(): Promise<number>;
  close(): Promise<void>;
}

/** The most records one query returns. */
export const MAX_QUERY_LIMIT = 1000;
