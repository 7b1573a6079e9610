import fc from 'fast-check';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import {
  createAccessTokenVerifier,
  issueAccessToken,
  type AccessTokenSettings,
} from './access-token.js';
import { createKeyRing, generateSigningKey, type KeyRing } from './key-ring.js';
import { createTokenCache } from './token-cache.js';
import type { AccessClaims } from './types.js';

const settings: AccessTokenSettings = {
  issuer: 'https://gatehouse.example',
  audience: 'https://gatehouse.example/api',
};
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const user = { userId: 'user-1', role: 'user' } as const;

function frozenClock(start = T0) {
  let now = start;
  return { clock: () => now, set: (ms: number) => (now = ms) };
}

/** A ring whose verificationKey calls are counted: each call is one full jose verification. */
async function countedRing() {
  const record = await generateSigningKey(new Date(T0));
  const inner = await createKeyRing([record]);
  const counter = { calls: 0 };
  const ring: KeyRing = {
    ...inner,
    verificationKey(kid) {
      counter.calls += 1;
      return inner.verificationKey(kid);
    },
  };
  return { record, ring, counter };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof GatehouseError ? error.code : 'not a GatehouseError';
  }
  return undefined;
}

describe('issueAccessToken', () => {
  it('issues a token the verifier accepts, with the claims it was given', async () => {
    const { ring } = await countedRing();
    const time = frozenClock();
    const { token, expiresIn } = await issueAccessToken(ring, settings, user, time.clock);
    const verifier = createAccessTokenVerifier(ring, settings, { clock: time.clock });

    const iat = T0 / 1000;
    const claims: AccessClaims = { sub: 'user-1', role: 'user', iat, exp: iat + 600, ...issued() };
    expect(expiresIn).toBe(600);
    expect(await verifier.check(token)).toEqual({ ok: true, claims });
    expect(await verifier.verify(token)).toEqual(claims);
  });

  it('types the token at+jwt and names the key by its thumbprint', async () => {
    const { record, ring } = await countedRing();
    const { token } = await issueAccessToken(ring, settings, user);

    const thumbprint = await calculateJwkThumbprint({
      kty: 'OKP',
      crv: 'Ed25519',
      x: String(record.privateJwk.x),
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: thumbprint });
  });

  it('carries exactly sub, role, iat, exp, iss and aud', async () => {
    const { ring } = await countedRing();
    const { token } = await issueAccessToken(ring, { ...settings, lifetimeSeconds: 60 }, user);

    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'role', 'sub']);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
  });

  it('refuses a subject the verifier would refuse', async () => {
    const { ring } = await countedRing();
    for (const subject of [
      { userId: '', role: 'user' },
      { userId: 'u'.repeat(129), role: 'user' },
      { userId: 'user-1', role: 'root' },
    ]) {
      const error = await issueAccessToken(ring, settings, subject as typeof user).catch(
        (caught: unknown) => caught,
      );
      expect((error as GatehouseError).code).toBe('ERR_TOKEN_SUBJECT_INVALID');
    }
  });
});

describe('createAccessTokenVerifier settings', () => {
  it('refuses unsafe or meaningless settings at construction', async () => {
    const { ring } = await countedRing();
    const make =
      (changes: object, options = {}) =>
      () =>
        createAccessTokenVerifier(ring, { ...settings, ...changes }, options);

    expect(codeOf(make({ clockToleranceSeconds: 61 }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ clockToleranceSeconds: -1 }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ clockToleranceSeconds: Number.NaN }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ lifetimeSeconds: 0 }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ lifetimeSeconds: 1.5 }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ issuer: '' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ audience: '' }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({}, { cacheSize: -1 }))).toBe('ERR_CONFIG_INVALID');
    expect(codeOf(make({ clockToleranceSeconds: 60 }))).toBeUndefined();
  });
});

describe('expiry on a frozen clock', () => {
  it('accepts until exp, then within the 5 s tolerance, and refuses beyond it', async () => {
    const { ring } = await countedRing();
    const time = frozenClock();
    const { token } = await issueAccessToken(ring, settings, user, time.clock);
    const verifier = createAccessTokenVerifier(ring, settings, { clock: time.clock, cacheSize: 0 });
    const exp = T0 + 600_000;

    for (const [at, ok] of [
      [exp - 1, true],
      [exp, true],
      [exp + 4_999, true],
      [exp + 5_000, false],
      [exp + 3_600_000, false],
    ] as const) {
      time.set(at);
      expect(await verifier.check(token), `at exp + ${at - exp} ms`).toEqual(
        ok ? expect.objectContaining({ ok: true }) : { ok: false, reason: 'expired' },
      );
    }
  });

  it('refuses at exp when the tolerance is zero', async () => {
    const { ring } = await countedRing();
    const time = frozenClock();
    const { token } = await issueAccessToken(ring, settings, user, time.clock);
    const strict = { ...settings, clockToleranceSeconds: 0 };
    const verifier = createAccessTokenVerifier(ring, strict, { clock: time.clock });

    time.set(T0 + 600_000);
    expect(await verifier.check(token)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('the verified-token cache', () => {
  it('serves a repeated token without verifying it again', async () => {
    const { ring, counter } = await countedRing();
    const time = frozenClock();
    const { token } = await issueAccessToken(ring, settings, user, time.clock);
    const verifier = createAccessTokenVerifier(ring, settings, { clock: time.clock });

    await verifier.check(token);
    await verifier.check(token);
    await verifier.verify(token);
    expect(counter.calls).toBe(1);

    verifier.clearCache();
    await verifier.check(token);
    expect(counter.calls).toBe(2);
  });

  it('verifies a new token once when many requests carry it at the same moment', async () => {
    const { ring, counter } = await countedRing();
    const { token } = await issueAccessToken(ring, settings, user);
    const verifier = createAccessTokenVerifier(ring, settings);

    const results = await Promise.all(Array.from({ length: 64 }, () => verifier.check(token)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(counter.calls).toBe(1);
  });

  it('refuses a cached token after exp, verifying it again', async () => {
    const { ring, counter } = await countedRing();
    const time = frozenClock();
    const { token } = await issueAccessToken(ring, settings, user, time.clock);
    const verifier = createAccessTokenVerifier(ring, settings, { clock: time.clock });
    expect((await verifier.check(token)).ok).toBe(true);

    time.set(T0 + 600_000 + 6_000);
    expect(await verifier.check(token)).toEqual({ ok: false, reason: 'expired' });
    expect(counter.calls).toBe(2);
  });

  it('refuses a cached token once its signing key is retired', async () => {
    const { record, ring } = await countedRing();
    const { token } = await issueAccessToken(ring, settings, user);
    const verifier = createAccessTokenVerifier(ring, settings);
    expect((await verifier.check(token)).ok).toBe(true);

    const next = await generateSigningKey();
    await ring.replace([
      { ...record, state: 'retired', retiredAt: new Date().toISOString() },
      next,
    ]);
    expect(await verifier.check(token)).toEqual({ ok: false, reason: 'unknown_kid' });
  });

  it('keeps accepting tokens of a verify-only key after a rotation', async () => {
    const { record, ring } = await countedRing();
    const { token } = await issueAccessToken(ring, settings, user);
    const verifier = createAccessTokenVerifier(ring, settings);

    const next = await generateSigningKey();
    await ring.replace([{ ...record, state: 'verify-only' }, next]);
    expect((await verifier.check(token)).ok).toBe(true);
    const fresh = await issueAccessToken(ring, settings, user);
    expect(decodeProtectedHeader(fresh.token).kid).toBe(next.kid);
  });

  it('holds at most cacheSize tokens, evicting the least recently used', async () => {
    const { ring, counter } = await countedRing();
    const verifier = createAccessTokenVerifier(ring, settings, { cacheSize: 2 });
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map(
        async (userId) => (await issueAccessToken(ring, settings, { ...user, userId })).token,
      ),
    );

    for (const token of tokens) await verifier.check(token);
    expect(counter.calls).toBe(3);
    await verifier.check(tokens[2] as string);
    expect(counter.calls).toBe(3);
    await verifier.check(tokens[0] as string);
    expect(counter.calls).toBe(4);
  });
});

describe('createTokenCache', () => {
  const claims = (exp: number): AccessClaims => ({
    sub: 'u',
    role: 'user',
    iat: 0,
    exp,
    ...issued(),
  });

  it('drops the least recently used entry beyond capacity', () => {
    const cache = createTokenCache(2);
    cache.set('a', claims(10));
    cache.set('b', claims(10));
    cache.get('a', 0);
    cache.set('c', claims(10));
    expect([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)].map(Boolean)).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('serves an entry only while now is before exp, then deletes it', () => {
    const cache = createTokenCache(10);
    cache.set('a', claims(10));
    expect(cache.get('a', 9_999)).toBeDefined();
    expect(cache.get('a', 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('check never throws', () => {
  it('answers every string, well-formed or not, with a refusal', async () => {
    const { ring } = await countedRing();
    const verifier = createAccessTokenVerifier(ring, settings);
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,60}$/);
    const shaped = fc.tuple(segment, segment, segment).map((parts) => parts.join('.'));

    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), shaped), async (token) => {
        expect((await verifier.check(token)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

function issued() {
  return { iss: settings.issuer, aud: settings.audience };
}
