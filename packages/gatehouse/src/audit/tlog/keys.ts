/**
 * Ed25519 keys for C2SP signed notes: key IDs ("key hashes") and the text forms of keys used by
 * golang.org/x/mod/sumdb/note and the transparency-log ecosystem.
 *
 * - verifier key: `<name>+<8 hex digits of key ID>+<base64(0x01 ‖ 32-byte public key)>`
 * - signer key: `PRIVATE+KEY+<name>+<8 hex digits of key ID>+<base64(0x01 ‖ 32-byte seed)>`
 *
 * The key ID is the first four bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
 * @see https://c2sp.org/signed-note
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

import { decodeBase64, encodeBase64, hasForbiddenCharacters } from './encoding.js';
import { AuditLogError } from './errors.js';

/** A key that signs notes: its name and an Ed25519 private key. */
export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
}

/** A key that notes are checked against, as `parseVerifierKey` returns it. */
export interface NoteVerifier {
  readonly name: string;
  /** The key ID, as an unsigned 32-bit integer. */
  readonly keyHash: number;
  readonly publicKey: KeyObject;
}

/** The signature type byte C2SP assigns to Ed25519. */
const ED25519 = 0x01;
const PUBLIC_KEY_SIZE = 32;
/** The PKCS #8 (RFC 8410) DER header of an Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';

/**
 * Whether `name` may name a note key: non-empty, without Unicode spaces, `+` or control
 * characters (C2SP signed-note, "Format").
 */
export function isValidKeyName(name: unknown): name is string {
  if (typeof name !== 'string' || name === '' || hasForbiddenCharacters(name)) return false;
  return !/[\s\u0085+]/u.test(name);
}

/**
 * The C2SP key ID of an Ed25519 public key under `name`, as an unsigned 32-bit integer.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` for an invalid name or a key of the wrong type.
 * @example
 * noteKeyHash('PeterNeumann', publicKey).toString(16); // 'c74f20a3'
 */
export function noteKeyHash(name: string, publicKey: KeyObject | Uint8Array): number {
  requireName(name);
  const hash = createHash('sha256')
    .update(`${name}\n`)
    .update(new Uint8Array([ED25519]))
    .update(rawPublicKey(publicKey))
    .digest();
  return hash.readUInt32BE(0);
}

/**
 * The verifier key string for an Ed25519 public key: what a log publishes so that others can
 * check its checkpoints.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` for an invalid name or a key of the wrong type.
 * @example
 * verifierKey('audit.example/log', publicKey); // 'audit.example/log+1a2b3c4d+AR…'
 */
export function verifierKey(name: string, publicKey: KeyObject | Uint8Array): string {
  const raw = rawPublicKey(publicKey);
  const encoded = encodeBase64(Uint8Array.of(ED25519, ...raw));
  return `${name}+${hex8(noteKeyHash(name, raw))}+${encoded}`;
}

/**
 * Parses a verifier key string, checking its key ID against its name and key.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` when the string is malformed, names another
 *   algorithm than Ed25519, or its key ID does not match.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const { name, keyHash, key } = splitKey(vkey, 'verifier');
  const publicKey = publicKeyFromRaw(key);
  if (noteKeyHash(name, key) !== keyHash) refuse('the verifier key ID does not match its key');
  return { name, keyHash, publicKey };
}

/**
 * Parses a signer key string (the private half that `note.GenerateKey` in golang.org/x/mod
 * produces), checking its key ID against the public key derived from it.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` when the string is malformed, names another
 *   algorithm than Ed25519, or its key ID does not match.
 */
export function parseSignerKey(skey: string): NoteSigner {
  if (!skey.startsWith(SIGNER_KEY_PREFIX)) refuse('a signer key starts with PRIVATE+KEY+');

  const { name, keyHash, key } = splitKey(skey.slice(SIGNER_KEY_PREFIX.length), 'signer');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, key]),
    format: 'der',
    type: 'pkcs8',
  });
  if (noteKeyHash(name, createPublicKey(privateKey)) !== keyHash) {
    refuse('the signer key ID does not match its key');
  }
  return { name, privateKey };
}

/**
 * The 32 raw bytes of an Ed25519 public key, from a public or private `KeyObject` or from the raw
 * bytes themselves.
 * @throws {AuditLogError} `ERR_AUDIT_KEY_INVALID` for any other key.
 */
export function rawPublicKey(key: KeyObject | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== PUBLIC_KEY_SIZE) refuse('an Ed25519 public key is 32 bytes');
    return key.slice();
  }
  if (key.asymmetricKeyType !== 'ed25519') refuse('the key is not an Ed25519 key');

  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x ?? '', 'base64url'));
}

/** `<name>+<hex key ID>+<base64(0x01 ‖ 32 bytes)>`; the base64 part may itself hold `+`. */
function splitKey(text: string, kind: string) {
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) refuse(`a ${kind} key has three parts joined by +`);

  const name = text.slice(0, first);
  const id = text.slice(first + 1, second);
  const key = decodeBase64(text.slice(second + 1));
  if (!isValidKeyName(name)) refuse(`the ${kind} key name is invalid`);
  if (!/^[0-9a-fA-F]{8}$/.test(id)) refuse(`the ${kind} key ID is not 8 hex digits`);
  if (key === undefined || key.length !== 1 + PUBLIC_KEY_SIZE) {
    refuse(`the ${kind} key is not base64 of 33 bytes`);
  }
  if (key[0] !== ED25519) refuse(`the ${kind} key is not an Ed25519 key`);

  return { name, keyHash: Number.parseInt(id, 16), key: key.subarray(1) };
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  const x = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (cause) {
    throw new AuditLogError('ERR_AUDIT_KEY_INVALID', 'The Ed25519 public key is invalid.', {
      cause,
    });
  }
}

function requireName(name: string): void {
  if (!isValidKeyName(name)) refuse('a key name is non-empty, without spaces or +');
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function refuse(rule: string): never {
  throw new AuditLogError('ERR_AUDIT_KEY_INVALID', `Invalid note key: ${rule}.`);
}
