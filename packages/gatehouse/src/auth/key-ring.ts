/**
 * The Ed25519 keys that sign and verify access tokens, and the public JWK Set (RFC 7517) built
 * from them. Web-standard: it needs only WebCrypto with Ed25519, through jose.
 * @module
 */
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';

import { GatehouseError } from '../errors.js';

/**
 * `active` signs; `verify-only` still verifies the tokens it signed before a rotation; `retired`
 * does neither.
 */
export type KeyState = 'active' | 'verify-only' | 'retired';

/** A stored Ed25519 signing key. `privateJwk` is an OKP/Ed25519 JWK with `d` (RFC 8037 §2). */
export interface SigningKeyRecord {
  /** The RFC 7638 SHA-256 thumbprint of the public key. */
  readonly kid: string;
  readonly state: KeyState;
  /** ISO 8601 time of generation. */
  readonly createdAt: string;
  /** ISO 8601 time the key was retired. */
  readonly retiredAt?: string;
  readonly privateJwk: JWK;
}

/** The signing and verification keys of one deployment. */
export interface KeyRing {
  /** The active key, to sign with. Exactly one record must be active. */
  signingKey(): { readonly kid: string; readonly key: CryptoKey };
  /** The public key for an active or verify-only kid; undefined for unknown or retired ids. */
  verificationKey(kid: string): CryptoKey | undefined;
  /** Public JWKS (RFC 7517 §5) of the active and verify-only keys; never carries `d`. */
  jwks(): { readonly keys: readonly Record<string, string>[] };
  /** Replaces the records (after a rotation); listeners run after the swap. */
  replace(records: readonly SigningKeyRecord[]): Promise<void>;
  /** Subscribes to replacements; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

interface RingState {
  readonly active: { readonly kid: string; readonly key: CryptoKey };
  /** Keyed by the exact kid: a kid is only ever looked up, never parsed or used as a path. */
  readonly verifiers: ReadonlyMap<string, CryptoKey>;
  readonly jwks: readonly Record<string, string>[];
}

const KEY_STATES: readonly string[] = ['active', 'verify-only', 'retired'];

/**
 * Generates a new active Ed25519 signing key whose kid is its RFC 7638 thumbprint.
 *
 * @example const record = await generateSigningKey();
 * @default now — the current time
 */
export async function generateSigningKey(now: Date = new Date()): Promise<SigningKeyRecord> {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const { x, d } = await exportJWK(privateKey);
  if (x === undefined || d === undefined) {
    throw new GatehouseError('ERR_KEY_INVALID', 'The runtime exported an incomplete Ed25519 key.');
  }

  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
  return {
    kid,
    state: 'active',
    createdAt: now.toISOString(),
    privateJwk: { kty: 'OKP', crv: 'Ed25519', x, d },
  };
}

/**
 * Builds a key ring from stored records, checking each key before any token is signed with it.
 *
 * @example const ring = await createKeyRing(await loadOrCreateSigningKeys(dir));
 */
export async function createKeyRing(records: readonly SigningKeyRecord[]): Promise<KeyRing> {
  let state = await loadKeys(records);
  let queue: Promise<void> = Promise.resolve();
  const listeners = new Set<() => void>();

  function notify(): void {
    let failure: { readonly error: unknown } | undefined;
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    // Every listener runs before a failure surfaces, so one faulty listener cannot leave another
    // (such as a verifier's cache) holding keys that were just withdrawn.
    if (failure !== undefined) throw failure.error;
  }

  return {
    signingKey: () => state.active,
    verificationKey: (kid) => state.verifiers.get(kid),
    jwks: () => ({ keys: state.jwks.map((jwk) => ({ ...jwk })) }),
    replace(next) {
      // Replacements apply in call order, so a slow import cannot undo a later rotation.
      const run = queue.then(async () => {
        state = await loadKeys(next);
        notify();
      });
      queue = run.catch(() => undefined);
      return run;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

async function loadKeys(records: readonly SigningKeyRecord[]): Promise<RingState> {
  const seen = new Set<string>();
  const verifiers = new Map<string, CryptoKey>();
  const jwks: Record<string, string>[] = [];
  let active: RingState['active'] | undefined;

  for (const [index, record] of records.entries()) {
    const { kid, x, d } = await checkRecord(record, index);
    if (seen.has(kid)) throw invalid(`Key ${kid} appears twice.`);
    seen.add(kid);
    if (record.state === 'retired') continue;

    const publicJwk = { kty: 'OKP', crv: 'Ed25519', x };
    verifiers.set(kid, await importKey(publicJwk, kid));
    const entry = { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' };
    if (record.state !== 'active') {
      jwks.push(entry);
      continue;
    }

    if (active !== undefined) throw invalid('More than one signing key is active.');
    active = { kid, key: await importKey({ ...publicJwk, d }, kid) };
    await proveKeyPair(active.key, verifiers.get(kid), kid);
    jwks.unshift(entry);
  }

  if (active === undefined) throw invalid('No signing key is active.');
  return { active, verifiers, jwks };
}

async function checkRecord(record: SigningKeyRecord, index: number) {
  const kid: unknown = record.kid;
  const name = typeof kid === 'string' && /^[\w-]{1,128}$/.test(kid) ? kid : `record ${index}`;
  const jwk = record.privateJwk as Record<string, unknown>;
  if (!KEY_STATES.includes(record.state)) throw invalid(`Key ${name} has an unknown state.`);
  if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw invalid(`Key ${name} is not an Ed25519 key (RFC 8037).`);
  }
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') {
    throw invalid(`Key ${name} lacks its public or private part.`);
  }

  const thumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
  if (kid !== thumbprint) throw invalid(`Key ${name} is not named by its RFC 7638 thumbprint.`);
  return { kid: thumbprint, x: jwk.x, d: jwk.d };
}

async function importKey(jwk: JWK, kid: string): Promise<CryptoKey> {
  try {
    return (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  } catch (cause) {
    throw invalid(`Key ${kid} could not be imported.`, cause);
  }
}

/** A private key that does not match its `x` would sign tokens that no one can verify. */
async function proveKeyPair(privateKey: CryptoKey, publicKey: CryptoKey | undefined, kid: string) {
  const probe = new TextEncoder().encode(`gatehouse key check ${kid}`);
  const jws = await new CompactSign(probe).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
  try {
    if (publicKey === undefined) throw new Error('missing public key');
    await compactVerify(jws, publicKey, { algorithms: ['EdDSA'] });
  } catch {
    throw invalid(`Key ${kid} has a private part that does not match its public part.`);
  }
}

function invalid(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('ERR_KEY_INVALID', message, cause === undefined ? {} : { cause });
}
