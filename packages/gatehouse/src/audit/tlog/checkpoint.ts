/**
 * C2SP tlog-checkpoint: the note text that commits a log to its tree head.
 *
 * ```
 * <origin>
 * <tree size, decimal>
 * <base64 root hash>
 * [extension lines]
 * ```
 *
 * The parser is strict: a non-empty origin, a size without leading zeros that fits a safe
 * integer, a canonical base64 root of 32 bytes, non-empty extension lines, and a final newline.
 * @see https://c2sp.org/tlog-checkpoint
 * @module
 */
import { decodeBase64, encodeBase64, hasForbiddenCharacters } from './encoding.js';
import { AuditLogError } from './errors.js';
import { isHash } from './hash.js';
import type { NoteSigner, NoteVerifier } from './keys.js';
import { openNote, signNote, type NoteSignature } from './note.js';
import { isTreeSize } from './tree.js';

/** A log's tree head as a checkpoint states it. */
export interface Checkpoint {
  /** Names the log; by convention a schema-less URL, and the signing key's name. */
  readonly origin: string;
  readonly size: number;
  /** The RFC 6962 root hash at `size`. */
  readonly root: Uint8Array;
  /** Opaque extra lines; not recommended, since monitors cannot audit them. @default [] */
  readonly extensions?: readonly string[];
}

/** A checkpoint whose note carried a valid signature from a known key. */
export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signatures: readonly NoteSignature[];
}

const decimal = /^(?:0|[1-9][0-9]*)$/;

/**
 * The checkpoint's note text.
 * @throws {AuditLogError} `ERR_AUDIT_CHECKPOINT_INVALID` when a field could not be parsed back.
 * @example
 * formatCheckpoint({ origin: 'audit.example/log', size: 8, root });
 * // 'audit.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n'
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  if (!isLine(origin)) invalid('the origin is not a non-empty line of text');
  if (!isTreeSize(size)) invalid('the tree size is not a non-negative safe integer');
  if (!isHash(root)) invalid('the root hash is not 32 bytes');
  if (!extensions.every(isLine)) invalid('an extension is not a non-empty line of text');

  return [origin, String(size), encodeBase64(root), ...extensions].map((l) => `${l}\n`).join('');
}

/**
 * Parses a checkpoint's note text (the text `openNote` returns, not the signed note).
 * @throws {AuditLogError} `ERR_AUDIT_CHECKPOINT_INVALID` when the text breaks the format.
 */
export function parseCheckpoint(text: string): Checkpoint & { readonly extensions: string[] } {
  if (!text.endsWith('\n')) invalid('the text does not end in a newline');
  if (hasForbiddenCharacters(text)) invalid('the text holds control characters');

  const [origin = '', size = '', root = '', ...extensions] = text.slice(0, -1).split('\n');
  if (origin === '') invalid('the origin line is empty or missing');
  if (!decimal.test(size)) invalid('the tree size is not a decimal without leading zeros');
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) invalid('the tree size is too large');

  const rootHash = decodeBase64(root);
  if (rootHash === undefined || !isHash(rootHash)) invalid('the root is not base64 of 32 bytes');
  if (extensions.some((line) => line === '')) invalid('an extension line is empty');

  return { origin, size: treeSize, root: rootHash, extensions };
}

/**
 * Formats and signs a checkpoint.
 * @throws {AuditLogError} as `formatCheckpoint` and `signNote` do.
 */
export function signCheckpoint(
  checkpoint: Checkpoint,
  signers: NoteSigner | readonly NoteSigner[],
): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Opens a signed checkpoint from the log named `origin`: the note must carry a valid signature
 * from one of `verifiers`, and its origin line must be `origin`, so that a checkpoint of another
 * log signed by a shared key is not taken for this one.
 * @throws {AuditLogError} as `openNote` and `parseCheckpoint` do, and
 *   `ERR_AUDIT_CHECKPOINT_INVALID` when the origin differs.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin: string,
): VerifiedCheckpoint {
  const { text, signatures } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== origin) invalid('the origin is not the expected log');
  return { checkpoint, signatures };
}

function isLine(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value !== '' &&
    !value.includes('\n') &&
    !hasForbiddenCharacters(value)
  );
}

function invalid(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_CHECKPOINT_INVALID', `Invalid checkpoint: ${rule}.`);
}
