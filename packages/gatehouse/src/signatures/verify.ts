/**
 * Verifying a signed internal request: one RFC 9421 `hmac-sha256` signature, its time window,
 * its covered components, the RFC 9530 digest of the body, and a nonce accepted only once.
 * @module
 */
import type { Clock } from '../auth/types.js';
import { GatehouseError } from '../errors.js';
import { createSignatureBase } from './base.js';
import { verifyContentDigest } from './digest.js';
import {
  checkSignature,
  keyIdOf,
  readSignatureFields,
  type CheckedSignature,
  type SignatureEntry,
} from './fields.js';
import { hmacVerify, MIN_SECRET_BYTES } from './hmac.js';
import type { ReplayStore } from './replay.js';

/**
 * The secrets valid for a key id: none for an unknown id, two while a rotation overlaps (old and
 * new). Secrets shorter than 32 bytes are never used.
 */
export type SignatureKeyResolver = (
  keyId: string,
) => readonly Uint8Array[] | Promise<readonly Uint8Array[]>;

/** Options of {@link createSignatureVerifier}. */
export interface SignatureVerifierOptions {
  /** Resolves a `keyid` to its secrets. */
  readonly keys: SignatureKeyResolver;
  /** Where nonces are claimed; share one (Redis) between instances. */
  readonly replay: ReplayStore;
  /** Oldest a signature may be, from `created`, and longest its `expires` may reach. @default 300 */
  readonly maxAgeSeconds?: number;
  /** Tolerated difference between the signer's clock and this one. @default 30 */
  readonly clockSkewSeconds?: number;
  /** Source of the time in milliseconds. @default Date.now */
  readonly now?: Clock;
}

/** What the route received, beside the request itself. */
export interface VerifyRequestOptions {
  /** The body bytes as received; empty for a request without a body. */
  readonly body: Uint8Array;
  /** The public URL the signer addressed, when a proxy rewrote `request.url`. @default request.url */
  readonly targetUri?: string;
}

/** Why a signed request was refused. Every refusal is one of these; nothing else is thrown. */
export type SignatureRefusal =
  /** No `Signature-Input` and no `Signature`. */
  | 'missing'
  /** The fields do not parse, one is absent, no label is in both, or a member has the wrong type. */
  | 'malformed'
  /** `created`, `expires`, `nonce` or `keyid` absent or ill-typed, or an unknown parameter. */
  | 'params'
  /** `alg` is present and is not `hmac-sha256`. */
  | 'wrong-algorithm'
  /** No signature names a key id that `keys` knows. */
  | 'unknown-key'
  /** The key id is known, but every secret it resolves to is shorter than 32 bytes. */
  | 'weak-key'
  /** A required component is not covered, or a covered one cannot be resolved. */
  | 'components'
  /** The `Content-Digest` does not match the body received, or is unusable. */
  | 'digest'
  /** The signature is not the HMAC of the request under any of the key's secrets. */
  | 'bad-signature'
  /** `expires` has passed. */
  | 'expired'
  /** `created` is in the future, beyond the allowed skew. */
  | 'not-yet-valid'
  /** `created` is older than `maxAgeSeconds`. */
  | 'too-old'
  /** `expires` is before `created`, or more than `maxAgeSeconds` after it. */
  | 'lifetime'
  /** The `(keyid, nonce)` pair was accepted before. */
  | 'replayed'
  /** The key resolver or the replay store failed; the request is refused, not let through. */
  | 'unavailable';

/** The outcome of {@link SignatureVerifier.verify}. */
export type SignatureVerdict =
  | {
      readonly ok: true;
      readonly keyId: string;
      readonly nonce: string;
      /** `created`, in seconds since the epoch. */
      readonly created: number;
      readonly label: string;
    }
  | { readonly ok: false; readonly reason: SignatureRefusal };

/** Verifies signed requests against one policy. */
export interface SignatureVerifier {
  /** Verifies `request`; resolves to a verdict and never rejects. */
  verify(request: Request, options: VerifyRequestOptions): Promise<SignatureVerdict>;
}

class Unavailable extends Error {}

const refuse = (reason: SignatureRefusal): SignatureVerdict => ({ ok: false, reason });

/**
 * Creates a verifier for internal routes. A request passes when all of these hold:
 *
 * - it carries a signature whose `keyid` `keys` knows. With several signatures (at most 8), the
 *   first in `Signature-Input` order whose `keyid` resolves to a secret is the one checked, and
 *   the others are ignored;
 * - `created`, `expires`, `nonce` and `keyid` are present, and `alg`, if present, is
 *   `hmac-sha256`;
 * - `created` is at most `clockSkewSeconds` in the future and at most `maxAgeSeconds` (plus the
 *   skew) in the past; `expires` has not passed (less the skew) and is no later than
 *   `created + maxAgeSeconds`;
 * - `@method` and `@target-uri` are covered, and with a non-empty body `content-type` and
 *   `content-digest` too; a covered `content-digest` always matches the body received;
 * - the signature is the HMAC-SHA256 of the rebuilt base under one of the key's secrets;
 * - the `(keyid, nonce)` pair has not been accepted before: it is claimed only now, after the
 *   signature is valid, so forged requests cannot burn a genuine nonce.
 *
 * Throws `ERR_CONFIG_INVALID` at construction for bad options.
 *
 * @example
 * const verifier = createSignatureVerifier({
 *   keys: (keyId) => internalKeys.get(keyId) ?? [],
 *   replay: createRedisReplayStore(redis),
 * });
 * const body = new Uint8Array(await request.clone().arrayBuffer());
 * const verdict = await verifier.verify(request, { body });
 * if (!verdict.ok) return unauthorized(verdict.reason);
 */
export function createSignatureVerifier(options: SignatureVerifierOptions): SignatureVerifier {
  const { keys, replay } = options;
  const maxAge = options.maxAgeSeconds ?? 300;
  const skew = options.clockSkewSeconds ?? 30;
  const now = options.now ?? Date.now;
  if (typeof keys !== 'function' || typeof replay?.claim !== 'function') {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'The verifier needs keys and a replay store');
  }
  if (!Number.isSafeInteger(maxAge) || maxAge < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'maxAgeSeconds must be a positive integer');
  }
  if (!Number.isSafeInteger(skew) || skew < 0 || skew > maxAge) {
    throw new GatehouseError(
      'ERR_CONFIG_INVALID',
      'clockSkewSeconds must be an integer from 0 to maxAgeSeconds',
    );
  }

  const resolve = async (keyId: string) => {
    try {
      return await keys(keyId);
    } catch (error) {
      throw new Unavailable('key resolver failed', { cause: error });
    }
  };

  const select = async (entries: readonly SignatureEntry[]) => {
    for (const entry of entries) {
      const keyId = keyIdOf(entry);
      if (keyId === undefined) continue;
      const secrets = await resolve(keyId);
      if (secrets.length > 0) return { entry, secrets };
    }
    return undefined;
  };

  const timeRefusal = (signature: CheckedSignature, nowSeconds: number) => {
    const { created, expires } = signature;
    if (created > nowSeconds + skew) return refuse('not-yet-valid');
    if (created < nowSeconds - maxAge - skew) return refuse('too-old');
    if (expires < created || expires > created + maxAge) return refuse('lifetime');
    if (expires < nowSeconds - skew) return refuse('expired');
    return undefined;
  };

  const check = async (request: Request, received: VerifyRequestOptions) => {
    const body = received.body;
    if (!(body instanceof Uint8Array)) return refuse('malformed');

    const fields = readSignatureFields(request.headers);
    if (!fields.ok) return refuse(fields.reason);
    const selected = await select(fields.entries);
    if (selected === undefined) {
      const only = fields.entries.length === 1 ? fields.entries[0] : undefined;
      if (only !== undefined) {
        const shape = checkSignature(only);
        if (!shape.ok) return refuse(shape.reason);
      }
      return refuse('unknown-key');
    }

    const checked = checkSignature(selected.entry);
    if (!checked.ok) return refuse(checked.reason);
    const signature = checked.value;
    const secrets = selected.secrets.filter(
      (secret) => secret instanceof Uint8Array && secret.length >= MIN_SECRET_BYTES,
    );
    if (secrets.length === 0) return refuse('weak-key');

    const nowMs = now();
    const nowSeconds = Math.floor(nowMs / 1000);
    const late = timeRefusal(signature, nowSeconds);
    if (late !== undefined) return late;

    const covered = new Set(signature.components);
    const required = ['@method', '@target-uri'];
    if (body.length > 0) required.push('content-type', 'content-digest');
    if (!required.every((name) => covered.has(name))) return refuse('components');

    const base = createSignatureBase(
      request,
      signature.input,
      received.targetUri === undefined ? {} : { targetUri: received.targetUri },
    );
    if (!base.ok) return refuse('components');
    if (covered.has('content-digest')) {
      const digest = await verifyContentDigest(request.headers.get('content-digest'), body);
      if (!digest.ok) return refuse('digest');
    }
    if (!(await hmacVerify(secrets, base.base, signature.signature)))
      return refuse('bad-signature');

    // Remembered until the signature could no longer be accepted, whichever bound comes first.
    const acceptableUntil = Math.min(signature.expires + skew, signature.created + maxAge + skew);
    const ttlMs = (acceptableUntil + 1) * 1000 - nowMs;
    let claimed: boolean;
    try {
      claimed = await replay.claim(signature.keyId, signature.nonce, ttlMs);
    } catch (error) {
      throw new Unavailable('replay store failed', { cause: error });
    }
    if (!claimed) return refuse('replayed');

    return {
      ok: true,
      keyId: signature.keyId,
      nonce: signature.nonce,
      created: signature.created,
      label: signature.label,
    } as const;
  };

  return {
    async verify(request, received) {
      try {
        return await check(request, received);
      } catch (error) {
        return refuse(error instanceof Unavailable ? 'unavailable' : 'malformed');
      }
    },
  };
}
