/**
 * Reading the `Signature-Input` and `Signature` fields of a received request (RFC 9421 §4) into
 * signatures whose shape and parameters are checked, before any key or crypto is involved.
 * @module
 */
import {
  isInnerList,
  parseDictionary,
  type Dictionary,
  type InnerList,
  type Item,
} from 'structured-headers';

import { HMAC_SHA256 } from './hmac.js';

/** A key id: what a Structured Fields String holds, bounded so it stays a short store key. */
export const KEY_ID = /^[\x20-\x7e]{1,256}$/;
/** A nonce: printable ASCII without spaces, bounded for the same reason. */
export const NONCE = /^[\x21-\x7e]{1,128}$/;
/** Most signatures a request may carry; more is refused before any of them is looked at. */
export const MAX_SIGNATURES = 8;

const KNOWN_PARAMETERS = new Set(['created', 'expires', 'nonce', 'keyid', 'alg', 'tag']);

/** A label present in both fields, its members not yet checked. */
export interface SignatureEntry {
  readonly label: string;
  readonly input: Item | InnerList;
  readonly signature: Item | InnerList;
}

/** A signature whose shape and parameters passed {@link checkSignature}. */
export interface CheckedSignature {
  readonly label: string;
  /** The Inner List of `Signature-Input`, as received: the base is rebuilt from it. */
  readonly input: InnerList;
  /** Names of the covered components, in order. */
  readonly components: readonly unknown[];
  readonly signature: Uint8Array;
  readonly keyId: string;
  readonly nonce: string;
  readonly created: number;
  readonly expires: number;
}

type Refused<R> = { readonly ok: false; readonly reason: R };

/**
 * The labels present in both fields, in `Signature-Input` order. `missing` when the request has
 * neither field; `malformed` when it has one without the other, either does not parse as a
 * Dictionary, no label is in both, or there are more than {@link MAX_SIGNATURES}.
 */
export function readSignatureFields(
  headers: Headers,
):
  | { readonly ok: true; readonly entries: readonly SignatureEntry[] }
  | Refused<'missing' | 'malformed'> {
  const inputField = headers.get('signature-input');
  const signatureField = headers.get('signature');
  if (inputField === null && signatureField === null) return { ok: false, reason: 'missing' };
  if (inputField === null || signatureField === null) return { ok: false, reason: 'malformed' };

  let inputs: Dictionary;
  let signatures: Dictionary;
  try {
    inputs = parseDictionary(inputField);
    signatures = parseDictionary(signatureField);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (inputs.size > MAX_SIGNATURES || signatures.size > MAX_SIGNATURES) {
    return { ok: false, reason: 'malformed' };
  }

  const entries: SignatureEntry[] = [];
  for (const [label, input] of inputs) {
    const signature = signatures.get(label);
    if (signature !== undefined) entries.push({ label, input, signature });
  }
  return entries.length === 0 ? { ok: false, reason: 'malformed' } : { ok: true, entries };
}

/** The `keyid` parameter of an entry, if it has one of the right type. */
export function keyIdOf(entry: SignatureEntry): string | undefined {
  if (!isInnerList(entry.input)) return undefined;
  const keyId = entry.input[1].get('keyid');
  return typeof keyId === 'string' && KEY_ID.test(keyId) ? keyId : undefined;
}

/**
 * Checks one signature's shape and parameters: `Signature-Input` an Inner List, `Signature` a
 * Byte Sequence (`malformed` otherwise); `created`, `expires`, `nonce` and `keyid` present and
 * well typed, no parameter outside RFC 9421 §2.3 (`params` otherwise); `alg`, if present,
 * `hmac-sha256` (`wrong-algorithm` otherwise).
 */
export function checkSignature(
  entry: SignatureEntry,
):
  | { readonly ok: true; readonly value: CheckedSignature }
  | Refused<'malformed' | 'params' | 'wrong-algorithm'> {
  const { label, input, signature } = entry;
  if (!isInnerList(input) || isInnerList(signature)) return { ok: false, reason: 'malformed' };
  if (!(signature[0] instanceof ArrayBuffer)) return { ok: false, reason: 'malformed' };

  const parameters = input[1];
  for (const name of parameters.keys()) {
    if (!KNOWN_PARAMETERS.has(name)) return { ok: false, reason: 'params' };
  }
  const alg = parameters.get('alg');
  if (alg !== undefined && alg !== HMAC_SHA256) return { ok: false, reason: 'wrong-algorithm' };

  const created = parameters.get('created');
  const expires = parameters.get('expires');
  const nonce = parameters.get('nonce');
  const keyId = parameters.get('keyid');
  const tag = parameters.get('tag');
  if (
    !isTimestamp(created) ||
    !isTimestamp(expires) ||
    typeof nonce !== 'string' ||
    !NONCE.test(nonce) ||
    typeof keyId !== 'string' ||
    !KEY_ID.test(keyId) ||
    (tag !== undefined && typeof tag !== 'string')
  ) {
    return { ok: false, reason: 'params' };
  }

  return {
    ok: true,
    value: {
      label,
      input,
      components: input[0].map(([name]) => name),
      signature: new Uint8Array(signature[0]),
      keyId,
      nonce,
      created,
      expires,
    },
  };
}

const isTimestamp = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
