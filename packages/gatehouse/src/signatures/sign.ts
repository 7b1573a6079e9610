/**
 * Signing an outgoing internal request: RFC 9421 `Signature-Input` and `Signature` with
 * `hmac-sha256`, and RFC 9530 `Content-Digest` when the request has a body.
 * @module
 */
import {
  arrayBufferToBase64,
  isValidKeyStr,
  serializeDictionary,
  type InnerList,
  type Item,
} from 'structured-headers';

import type { Clock } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import { createSignatureBase } from './base.js';
import { contentDigest, type DigestAlgorithm } from './digest.js';
import { KEY_ID } from './fields.js';
import { HMAC_SHA256, hmacSign, MIN_SECRET_BYTES } from './hmac.js';

/**
 * A shared HMAC secret and the id the verifier finds it by. Treat `secret` as immutable once
 * used: imported keys are kept per array.
 */
export interface SigningKey {
  /** The `keyid` signature parameter. */
  readonly id: string;
  /** At least 32 random bytes. */
  readonly secret: Uint8Array;
}

/** Options of {@link signRequest}. */
export interface SignRequestOptions {
  /** The signature's label in `Signature-Input` and `Signature`. @default 'sig1' */
  readonly label?: string;
  /** Seconds from `created` to `expires`; at most the verifier's `maxAgeSeconds`. @default 60 */
  readonly expiresInSeconds?: number;
  /** Algorithm of the `Content-Digest` added when there is a body. @default 'sha-256' */
  readonly digest?: DigestAlgorithm;
  /** Source of the time in milliseconds. @default Date.now */
  readonly now?: Clock;
}

const NONCE_BYTES = 16;

/**
 * Returns a copy of `request` signed for an internal route. The signature covers `@method` and
 * `@target-uri`, and when the request has a body also `content-type` and a `content-digest`
 * added here; its parameters are `created`, `expires`, a random 128-bit `nonce`, `keyid` and
 * `alg="hmac-sha256"`. Any `Signature-Input` and `Signature` already on the request are replaced.
 *
 * The body is read once, from a clone: `request` itself stays unread and usable.
 *
 * Throws `ERR_KEY_INVALID` for a secret shorter than 32 bytes or an empty key id,
 * `ERR_CONFIG_INVALID` for bad options, and `TypeError` for a request with a body but no
 * `Content-Type`.
 *
 * @example
 * const key = { id: 'billing-2025-06', secret: billingSecret };
 * const response = await fetch(
 *   await signRequest(
 *     new Request('https://api.internal.example/internal/usage', {
 *       method: 'POST',
 *       headers: { 'content-type': 'application/json' },
 *       body: JSON.stringify({ account: 'a-42', units: 3 }),
 *     }),
 *     key,
 *   ),
 * );
 */
export async function signRequest(
  request: Request,
  key: SigningKey,
  options: SignRequestOptions = {},
): Promise<Request> {
  assertSigningKey(key);
  const label = options.label ?? 'sig1';
  const lifetime = options.expiresInSeconds ?? 60;
  const now = options.now ?? Date.now;
  if (typeof label !== 'string' || !isValidKeyStr(label)) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'The signature label must be a Structured Fields key',
    );
  }
  if (!Number.isSafeInteger(lifetime) || lifetime < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'expiresInSeconds must be a positive integer');
  }

  const body =
    request.body === null ? new Uint8Array() : new Uint8Array(await request.clone().arrayBuffer());
  const headers = new Headers(request.headers);
  const covered: Item[] = [
    ['@method', new Map()],
    ['@target-uri', new Map()],
  ];
  if (body.length > 0) {
    if (!headers.has('content-type')) {
      throw new TypeError('A signed request with a body needs a Content-Type header');
    }
    headers.set('content-digest', await contentDigest(body, options.digest ?? 'sha-256'));
    covered.push(['content-type', new Map()], ['content-digest', new Map()]);
  }

  const created = Math.floor(now() / 1000);
  const input: InnerList = [
    covered,
    new Map<string, string | number>([
      ['created', created],
      ['expires', created + lifetime],
      ['nonce', createSignatureNonce()],
      ['keyid', key.id],
      ['alg', HMAC_SHA256],
    ]),
  ];
  const signed = new Request(request, { headers, body: body.length > 0 ? body : null });
  const base = createSignatureBase(signed, input);
  if (!base.ok) {
    throw new TypeError(`The request cannot be signed: ${base.problem} (${base.component ?? ''})`);
  }

  const signature = await hmacSign(key.secret, base.base);
  signed.headers.set('signature-input', serializeDictionary(new Map([[label, input]])));
  signed.headers.set('signature', serializeDictionary(new Map([[label, [signature, new Map()]]])));
  return signed;
}

/**
 * Throws `ERR_KEY_INVALID` unless `key` has an id of 1 to 256 printable ASCII characters and a
 * secret of 32 bytes or more.
 */
export function assertSigningKey(key: SigningKey): void {
  if (typeof key?.id !== 'string' || !KEY_ID.test(key.id)) {
    throw new GatehouseError(
      'ERR_KEY_INVALID',
      'The key id must be 1 to 256 printable ASCII characters',
    );
  }
  if (!(key.secret instanceof Uint8Array) || key.secret.length < MIN_SECRET_BYTES) {
    throw new GatehouseError(
      'ERR_KEY_INVALID',
      `The signing secret must be at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
}

/** 128 random bits in unpadded base64url (22 characters), the `nonce` parameter. */
export function createSignatureNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return arrayBufferToBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
