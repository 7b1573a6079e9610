import {
  calculateJwkThumbprint,
  compactVerify,
  CompactSign,
  generateKeyPair,
  exportJWK,
} from 'jose';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { createKeyRing, generateSigningKey, type SigningKeyRecord } from './key-ring.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof GatehouseError ? error.code : 'not a GatehouseError';
  }
  return undefined;
}

function publicPart(record: SigningKeyRecord) {
  return { kty: 'OKP', crv: 'Ed25519', x: String(record.privateJwk.x) };
}

describe('generateSigningKey', () => {
  it('makes an active Ed25519 key named by its RFC 7638 thumbprint', async () => {
    const record = await generateSigningKey(NOW);

    expect(record.state).toBe('active');
    expect(record.createdAt).toBe('2030-01-01T00:00:00.000Z');
    expect(Object.keys(record.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x']);
    expect(record.privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(record.kid).toBe(await calculateJwkThumbprint(publicPart(record), 'sha256'));
    expect(record.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('makes a different key each time', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.kid).not.toBe(b.kid);
  });
});

describe('createKeyRing', () => {
  it('signs with the active key and verifies with its public key', async () => {
    const record = await generateSigningKey(NOW);
    const ring = await createKeyRing([record]);
    const { kid, key } = ring.signingKey();

    const jws = await new CompactSign(new TextEncoder().encode('hello'))
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .sign(key);
    const publicKey = ring.verificationKey(kid);
    expect(kid).toBe(record.kid);
    expect(publicKey?.type).toBe('public');
    if (publicKey === undefined) return;
    await expect(compactVerify(jws, publicKey)).resolves.toBeDefined();
  });

  it('gives verification keys for active and verify-only ids only', async () => {
    const active = await generateSigningKey(NOW);
    const previous = { ...(await generateSigningKey(NOW)), state: 'verify-only' as const };
    const retired = { ...(await generateSigningKey(NOW)), state: 'retired' as const };
    const ring = await createKeyRing([previous, retired, active]);

    expect(ring.verificationKey(active.kid)).toBeDefined();
    expect(ring.verificationKey(previous.kid)).toBeDefined();
    expect(ring.verificationKey(retired.kid)).toBeUndefined();
    for (const kid of ['', 'unknown', '__proto__', 'constructor', '../../dev/null', '.*']) {
      expect(ring.verificationKey(kid)).toBeUndefined();
    }
  });

  it('publishes a JWKS of the active and verify-only public keys, never d', async () => {
    const active = await generateSigningKey(NOW);
    const previous = { ...(await generateSigningKey(NOW)), state: 'verify-only' as const };
    const retired = { ...(await generateSigningKey(NOW)), state: 'retired' as const };
    const ring = await createKeyRing([retired, previous, active]);

    const { keys } = ring.jwks();
    expect(keys.map((key) => key.kid)).toEqual([active.kid, previous.kid]);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
    expect(JSON.stringify(ring.jwks())).not.toContain(String(active.privateJwk.d));
  });

  it('hands out copies of the JWKS', async () => {
    const ring = await createKeyRing([await generateSigningKey(NOW)]);
    const first = ring.jwks().keys[0];
    if (first !== undefined) first.kid = 'changed';
    expect(ring.jwks().keys[0]?.kid).not.toBe('changed');
  });

  it('refuses a ring without exactly one active key', async () => {
    const a = await generateSigningKey(NOW);
    const b = await generateSigningKey(NOW);
    expect(await codeOf(() => createKeyRing([]))).toBe('ERR_KEY_INVALID');
    expect(await codeOf(() => createKeyRing([a, b]))).toBe('ERR_KEY_INVALID');
    expect(await codeOf(() => createKeyRing([{ ...a, state: 'verify-only' }]))).toBe(
      'ERR_KEY_INVALID',
    );
  });

  it('refuses a kid that is not the thumbprint of the public key', async () => {
    const a = await generateSigningKey(NOW);
    const b = await generateSigningKey(NOW);
    expect(await codeOf(() => createKeyRing([{ ...a, kid: b.kid }]))).toBe('ERR_KEY_INVALID');
    expect(await codeOf(() => createKeyRing([{ ...a, kid: 'primary' }]))).toBe('ERR_KEY_INVALID');
  });

  it('refuses keys that are not Ed25519', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const ec = await exportJWK(privateKey);
    const ecRecord = { kid: await calculateJwkThumbprint(ec), state: 'active' as const };
    const record = await generateSigningKey(NOW);

    const candidates: SigningKeyRecord[] = [
      { ...ecRecord, createdAt: NOW.toISOString(), privateJwk: ec },
      { ...record, privateJwk: { ...record.privateJwk, crv: 'Ed448' } },
      { ...record, privateJwk: { kty: 'oct', k: 'c2VjcmV0' } },
    ];
    for (const candidate of candidates) {
      expect(await codeOf(() => createKeyRing([candidate]))).toBe('ERR_KEY_INVALID');
    }
  });

  it('refuses a private part that does not match the public part, without quoting it', async () => {
    const a = await generateSigningKey(NOW);
    const b = await generateSigningKey(NOW);
    const mixed = { ...a, privateJwk: { ...a.privateJwk, d: String(b.privateJwk.d) } };

    const error = await createKeyRing([mixed]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatehouseError);
    expect((error as GatehouseError).code).toBe('ERR_KEY_INVALID');
    expect((error as GatehouseError).message).not.toContain(String(b.privateJwk.d));
  });

  it('refuses the same key twice', async () => {
    const a = await generateSigningKey(NOW);
    const copy = { ...a, state: 'verify-only' as const };
    expect(await codeOf(() => createKeyRing([a, copy]))).toBe('ERR_KEY_INVALID');
  });
});

describe('KeyRing.replace', () => {
  it('swaps the keys, then runs the listeners', async () => {
    const first = await generateSigningKey(NOW);
    const second = await generateSigningKey(NOW);
    const ring = await createKeyRing([first]);
    const seen: string[] = [];
    ring.onChange(() => seen.push(ring.signingKey().kid));

    await ring.replace([{ ...first, state: 'retired', retiredAt: NOW.toISOString() }, second]);
    expect(seen).toEqual([second.kid]);
    expect(ring.verificationKey(first.kid)).toBeUndefined();
    expect(ring.jwks().keys.map((key) => key.kid)).toEqual([second.kid]);
  });

  it('stops calling a listener once unsubscribed', async () => {
    const record = await generateSigningKey(NOW);
    const ring = await createKeyRing([record]);
    let calls = 0;
    const unsubscribe = ring.onChange(() => (calls += 1));

    await ring.replace([record]);
    unsubscribe();
    await ring.replace([record]);
    expect(calls).toBe(1);
  });

  it('keeps the old keys and tells no one when the new records are refused', async () => {
    const record = await generateSigningKey(NOW);
    const ring = await createKeyRing([record]);
    let calls = 0;
    ring.onChange(() => (calls += 1));

    expect(await codeOf(() => ring.replace([]))).toBe('ERR_KEY_INVALID');
    expect(ring.signingKey().kid).toBe(record.kid);
    expect(calls).toBe(0);
  });

  it('applies replacements in call order', async () => {
    const keys = await Promise.all([1, 2, 3].map(() => generateSigningKey(NOW)));
    const ring = await createKeyRing([keys[0] as SigningKeyRecord]);

    await Promise.all(keys.map((key) => ring.replace([key])));
    expect(ring.signingKey().kid).toBe(keys[2]?.kid);
  });

  it('runs every listener even when one throws', async () => {
    const record = await generateSigningKey(NOW);
    const ring = await createKeyRing([record]);
    let reached = false;
    ring.onChange(() => {
      throw new Error('listener failed');
    });
    ring.onChange(() => (reached = true));

    await expect(ring.replace([record])).rejects.toThrow('listener failed');
    expect(reached).toBe(true);
  });
});
