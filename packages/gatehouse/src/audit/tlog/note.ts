/**
 * C2SP signed notes with Ed25519: a text ending in a newline, a blank line, then one line per
 * signature, `— <key name> <base64(key ID ‖ signature)>`.
 *
 * Opening a note follows the specification's rules for verifiers: signatures from unknown keys
 * (name and key ID not both matching a known key) are ignored; a signature from a known key that
 * fails to verify refuses the whole note; and a note without one valid signature from a known
 * key is refused. The text is returned only once that holds.
 * @see https://c2sp.org/signed-note
 * @module
 */
import { sign, verify } from 'node:crypto';

import { decodeBase64, encodeBase64, hasForbiddenCharacters } from './encoding.js';
import { AuditLogError } from './errors.js';
import { isValidKeyName, noteKeyHash, type NoteSigner, type NoteVerifier } from './keys.js';

/** A known key that signed a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
}

/** A note whose signatures have been checked. */
export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  /** The known keys whose signatures verified, in the order they appear. */
  readonly signatures: readonly NoteSignature[];
}

/** Signature lines read from one note, at most; the specification asks for at least 16. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';
const ED25519_SIGNATURE_SIZE = 64;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Signs `text` with each signer and returns the note.
 * @throws {AuditLogError} `ERR_AUDIT_NOTE_INVALID` when the text does not end in a newline or
 *   holds control characters; `ERR_AUDIT_KEY_INVALID` for a bad signer name or key, or two
 *   signers with the same name and key.
 * @example
 * const note = signNote('audit.example/log\n42\n…\n', { name: 'audit.example/log', privateKey });
 */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  checkText(text);
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (list.length === 0) throw keyError('a note needs at least one signer');

  const seen = new Set<string>();
  const message = utf8.encode(text);
  const lines = list.map(({ name, privateKey }) => {
    const keyHash = noteKeyHash(name, privateKey);
    if (privateKey.type !== 'private') throw keyError('a signer holds a private key');
    if (seen.has(`${name}+${keyHash}`)) throw keyError('two signers share a name and key');
    seen.add(`${name}+${keyHash}`);

    const signature = new Uint8Array(4 + ED25519_SIGNATURE_SIZE);
    new DataView(signature.buffer).setUint32(0, keyHash);
    signature.set(sign(null, message, privateKey), 4);
    return `${SIGNATURE_PREFIX}${name} ${encodeBase64(signature)}\n`;
  });

  return `${text}\n${lines.join('')}`;
}

/**
 * Checks a note against the known keys and returns its text and which of them signed it.
 * @throws {AuditLogError} `ERR_AUDIT_NOTE_INVALID` for a malformed note;
 *   `ERR_AUDIT_NOTE_SIGNATURE` when a known key's signature does not verify;
 *   `ERR_AUDIT_NOTE_UNVERIFIED` when no known key signed it; `ERR_AUDIT_KEY_INVALID` when two
 *   verifiers share a name and key ID.
 * @example
 * const { text } = openNote(body, [parseVerifierKey(publishedKey)]);
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const known = indexVerifiers(verifiers);
  const source = typeof note === 'string' ? note : decodeUtf8(note);
  if (hasForbiddenCharacters(source)) malformed('it holds control characters or lone surrogates');

  // The text is separated from the signatures by the last blank line.
  const split = source.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line separates the text from the signatures');
  const text = source.slice(0, split + 1);
  const block = source.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) malformed('the signature block does not end a line');

  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) malformed('it has too many signatures');

  const message = utf8.encode(text);
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const { name, keyHash, signature } = parseSignatureLine(line);
    const verifier = known.get(`${name}+${keyHash}`);
    if (verifier === undefined) continue;
    if (signatures.some((s) => s.name === name && s.keyHash === keyHash)) continue;

    const valid =
      signature.length === ED25519_SIGNATURE_SIZE &&
      verify(null, message, verifier.publicKey, signature);
    if (!valid) {
      throw new AuditLogError('ERR_AUDIT_NOTE_SIGNATURE', 'A known key signature does not verify.');
    }
    signatures.push({ name, keyHash });
  }

  if (signatures.length === 0) {
    throw new AuditLogError('ERR_AUDIT_NOTE_UNVERIFIED', 'No known key signed the note.');
  }
  return { text, signatures };
}

function parseSignatureLine(line: string) {
  if (!line.startsWith(SIGNATURE_PREFIX)) malformed('a signature line does not start with "— "');

  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, Math.max(space, 0));
  const bytes = decodeBase64(rest.slice(space + 1));
  if (space < 0 || !isValidKeyName(name)) malformed('a signature line has no valid key name');
  if (bytes === undefined || bytes.length < 5) malformed('a signature is not base64 of 5+ bytes');

  const keyHash = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
  return { name, keyHash, signature: bytes.subarray(4) };
}

function indexVerifiers(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${verifier.keyHash}`;
    if (known.has(id)) throw keyError('two verifiers share a name and key ID');
    const key = verifier.publicKey;
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
      throw keyError('a verifier does not hold an Ed25519 public key');
    }
    known.set(id, verifier);
  }
  return known;
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) malformed('the text does not end in a newline');
  if (hasForbiddenCharacters(text)) malformed('the text holds control characters');
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return malformed('it is not valid UTF-8');
  }
}

function malformed(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_NOTE_INVALID', `Malformed note: ${rule}.`);
}

function keyError(rule: string): AuditLogError {
  return new AuditLogError('ERR_AUDIT_KEY_INVALID', `Invalid note key: ${rule}.`);
}
