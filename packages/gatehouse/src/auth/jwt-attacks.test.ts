/**
 * The JWT attack catalogue of RFC 8725 (JWT Best Current Practices) §2 and the OWASP JSON Web
 * Token Cheat Sheet, each attack a named test that expects a refusal with its reason.
 */
import {
  base64url,
  CompactSign,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  createAccessTokenVerifier,
  issueAccessToken,
  type AccessTokenVerifier,
  type TokenRejection,
} from './access-token.js';
import { createKeyRing, generateSigningKey, type KeyRing } from './key-ring.js';

const ISSUER = 'https://gatehouse.example';
const AUDIENCE = 'https://gatehouse.example/api';
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const NOW_S = NOW / 1000;
const clock = () => NOW;
const encoder = new TextEncoder();

let ring: KeyRing;
let verifier: AccessTokenVerifier;
let kid: string;
let signingKey: CryptoKey;
let publicJwk: JWK;
let retired: { kid: string; key: CryptoKey };
let attacker: { key: CryptoKey; jwk: JWK };

beforeAll(async () => {
  const active = await generateSigningKey(new Date(NOW));
  const old = await generateSigningKey(new Date(NOW - 86_400_000));
  ring = await createKeyRing([{ ...old, state: 'retired', retiredAt: active.createdAt }, active]);
  verifier = createAccessTokenVerifier(ring, { issuer: ISSUER, audience: AUDIENCE }, { clock });
  ({ kid, key: signingKey } = ring.signingKey());
  publicJwk = ring.jwks().keys[0] as JWK;
  retired = { kid: old.kid, key: (await importJWK(old.privateJwk, 'EdDSA')) as CryptoKey };

  const pair = await generateKeyPair('Ed25519');
  attacker = { key: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
});

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const base = { sub: 'user-1', role: 'user', iat: NOW_S, exp: NOW_S + 600 };
  return { ...base, iss: ISSUER, aud: AUDIENCE, ...changes };
}

/** Signs any header and payload with jose, which applies no policy of its own when signing. */
async function sign(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: CryptoKey | Uint8Array = signingKey,
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header } as { alg: string })
    .sign(key);
}

/** Signs hand-made segments with the active key, for inputs jose refuses to produce. */
async function signSegments(header: string, payload: string): Promise<string> {
  const input = encoder.encode(`${header}.${payload}`);
  const signature = await crypto.subtle.sign('Ed25519', signingKey, input);
  return `${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`;
}

function segment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** Joins hand-made segments; the signature is whatever the attacker chooses to send. */
function forge(header: object, payload: object, signature = 'c2ln'): string {
  return `${segment(header)}.${segment(payload)}.${signature}`;
}

async function expectRefused(token: string, reason: TokenRejection): Promise<void> {
  expect(await verifier.check(token)).toEqual({ ok: false, reason });
  expect(await verifier.verify(token)).toBeUndefined();
}

/** Signs `claims(changes)` under the header changes with `key`, then expects the refusal. */
async function refuses(
  reason: TokenRejection,
  header: Record<string, unknown>,
  changes: Record<string, unknown> = {},
  key: CryptoKey | Uint8Array = signingKey,
): Promise<void> {
  await expectRefused(await sign(header, claims(changes), key), reason);
}

describe('the baseline', () => {
  it('accepts a well-formed token signed by the active key', async () => {
    expect((await verifier.check(await sign({}, claims()))).ok).toBe(true);
  });

  it('accepts the media-type spelling application/at+jwt (RFC 9068 §2.1)', async () => {
    const token = await sign({ typ: 'application/at+jwt' }, claims());
    expect((await verifier.check(token)).ok).toBe(true);
  });
});

describe('algorithm attacks (RFC 8725 §2.1, §3.1)', () => {
  it('refuses alg none without a signature', async () => {
    await expectRefused(forge({ alg: 'none', typ: 'at+jwt', kid }, claims(), ''), 'malformed');
  });

  it('refuses alg none with a signature', async () => {
    await expectRefused(forge({ alg: 'none', typ: 'at+jwt', kid }, claims()), 'algorithm');
  });

  it('refuses None and NONE spellings', async () => {
    for (const alg of ['None', 'NONE', 'nOnE']) {
      await expectRefused(forge({ alg, typ: 'at+jwt', kid }, claims()), 'algorithm');
    }
  });

  it('refuses HS256 keyed with the raw public key bytes (key confusion)', async () => {
    const secret = base64url.decode(String(publicJwk.x));
    await refuses('algorithm', { alg: 'HS256' }, { role: 'admin' }, secret);
  });

  it('refuses HS256 keyed with the public JWK JSON (key confusion)', async () => {
    const secret = encoder.encode(JSON.stringify(publicJwk));
    await refuses('algorithm', { alg: 'HS256' }, { role: 'admin' }, secret);
  });

  it('refuses ES256 signed by an attacker key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await refuses('algorithm', { alg: 'ES256' }, {}, privateKey);
  });

  it('refuses RS256 signed by an attacker key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await refuses('algorithm', { alg: 'RS256' }, {}, privateKey);
  });

  it('refuses the fully specified Ed25519 identifier, which is not on the list', async () => {
    await refuses('algorithm', { alg: 'Ed25519' });
  });
});

describe('claim attacks (RFC 8725 §3.8–§3.10)', () => {
  it('refuses a token without exp', async () => {
    await refuses('claims', {}, { exp: undefined });
  });

  it('refuses a token expired beyond the tolerance', async () => {
    await refuses('expired', {}, { iat: NOW_S - 700, exp: NOW_S - 6 });
  });

  it('refuses a token whose nbf is in the future', async () => {
    await refuses('not_yet_valid', {}, { nbf: NOW_S + 60 });
  });

  it('refuses a token issued in the future', async () => {
    await refuses('issued_in_future', {}, { iat: NOW_S + 60, exp: NOW_S + 660 });
  });

  it('refuses a wrong iss', async () => {
    await refuses('issuer', {}, { iss: 'https://evil.example' });
  });

  it('refuses a missing iss', async () => {
    await refuses('issuer', {}, { iss: undefined });
  });

  it('refuses a wrong aud', async () => {
    await refuses('audience', {}, { aud: 'https://gatehouse.example/admin' });
  });

  it('refuses a missing aud', async () => {
    await refuses('audience', {}, { aud: undefined });
  });

  it('refuses an unknown role', async () => {
    await refuses('claims', {}, { role: 'root' });
  });

  it('refuses an empty or oversized sub', async () => {
    await refuses('claims', {}, { sub: '' });
    await refuses('claims', {}, { sub: 'u'.repeat(129) });
  });
});

describe('explicit typing (RFC 8725 §3.11, RFC 9068 §4)', () => {
  it('refuses typ JWT', async () => {
    await refuses('type', { typ: 'JWT' });
  });

  it('refuses a missing typ', async () => {
    await refuses('type', { typ: undefined });
  });
});

describe('keys named by the token (RFC 8725 §2.8, §3.10)', () => {
  it('refuses an embedded attacker jwk, even with a copied kid', async () => {
    await refuses('header_key', { jwk: attacker.jwk }, {}, attacker.key);
  });

  it('refuses a jku URL and fetches nothing', async () => {
    const fetched = trapFetch();
    await refuses('header_key', { jku: 'https://evil.example/jwks.json' }, {}, attacker.key);
    expect(fetched).toEqual([]);
  });

  it('refuses an x5u URL and fetches nothing', async () => {
    const fetched = trapFetch();
    await refuses('header_key', { x5u: 'https://evil.example/cert.pem' }, {}, attacker.key);
    expect(fetched).toEqual([]);
  });

  it('refuses an embedded x5c chain', async () => {
    await refuses('header_key', { x5c: ['MIIBszCCAVmgAwIBAgIU'] }, {}, attacker.key);
  });

  it.each(['x5t', 'x5t#S256'])('refuses a %s thumbprint header', async (name) => {
    await refuses('header_key', { [name]: 'c2hhMjU2' });
  });
});

describe('kid injection (RFC 8725 §3.10)', () => {
  it('refuses a path-traversal kid', async () => {
    await refuses('unknown_kid', { kid: '../../dev/null' }, {}, attacker.key);
  });

  it('refuses an SQL-injection kid', async () => {
    await refuses('unknown_kid', { kid: "' OR '1'='1" }, {}, attacker.key);
  });

  it('refuses prototype names as kid', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      await refuses('unknown_kid', { kid: name }, {}, attacker.key);
    }
  });

  it('refuses a 10 kB kid before parsing it', async () => {
    await refuses('too_large', { kid: 'k'.repeat(10_240) }, {}, attacker.key);
  });

  it('refuses a kid longer than 128 characters', async () => {
    await refuses('unknown_kid', { kid: kid.repeat(4) }, {}, attacker.key);
  });

  it('refuses a non-string or missing kid', async () => {
    for (const value of [42, null, [kid], { kid }, undefined]) {
      await refuses('unknown_kid', { kid: value }, {}, attacker.key);
    }
  });

  it('refuses the kid of a retired key', async () => {
    await refuses('unknown_kid', { kid: retired.kid }, {}, attacker.key);
  });
});

describe('tampering and forgery', () => {
  it('refuses a tampered header', async () => {
    const [, payload, signature] = (await sign({}, claims())).split('.');
    const header = segment({ alg: 'EdDSA', typ: 'at+jwt', kid, cty: 'JWT' });
    await expectRefused(`${header}.${payload}.${signature}`, 'signature');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign({}, claims())).split('.');
    const payload = segment(claims({ role: 'admin' }));
    await expectRefused(`${header}.${payload}.${signature}`, 'signature');
  });

  it('refuses a tampered signature', async () => {
    const [header, payload, signature = ''] = (await sign({}, claims())).split('.');
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}`;
    await expectRefused(`${header}.${payload}.${flipped}${signature.slice(11)}`, 'signature');
  });

  it('refuses a token signed by a foreign Ed25519 key with a copied kid', async () => {
    await refuses('signature', {}, { role: 'admin' }, attacker.key);
  });

  it('refuses a token signed by a retired key', async () => {
    await refuses('unknown_kid', { kid: retired.kid }, {}, retired.key);
  });

  it('refuses an unknown critical header extension', async () => {
    const header = segment({ alg: 'EdDSA', typ: 'at+jwt', kid, crit: ['urn:x'], 'urn:x': 1 });
    await expectRefused(await signSegments(header, segment(claims())), 'malformed');
  });
});

describe('shape and size', () => {
  it('refuses an oversized token (5 kB) before parsing it', async () => {
    await refuses('too_large', {}, { pad: 'p'.repeat(5_000) });
  });

  it('refuses a token with extra segments', async () => {
    const token = await sign({}, claims());
    await expectRefused(`${token}.${token.split('.')[2]}`, 'malformed');
    await expectRefused(`${token}.e30.e30`, 'malformed');
  });

  it('refuses padding, whitespace and empty segments', async () => {
    const token = await sign({}, claims());
    for (const variant of [`${token}=`, ` ${token}`, `${token}\n`, token.replace('.', '..')]) {
      await expectRefused(variant, 'malformed');
    }
    await expectRefused('..', 'malformed');
  });

  it('refuses a header or payload that is not a JSON object', async () => {
    await expectRefused(`${base64url.encode('not json')}.${segment(claims())}.c2ln`, 'malformed');
    const header = segment({ alg: 'EdDSA', typ: 'at+jwt', kid });
    await expectRefused(await signSegments(header, segment([1, 2])), 'malformed');
    await expectRefused(await signSegments(header, base64url.encode('{"sub":')), 'malformed');
  });

  it('refuses a valid token issued for another deployment', async () => {
    const other = await createKeyRing([await generateSigningKey()]);
    const subject = { userId: 'user-1', role: 'admin' } as const;
    const { token } = await issueAccessToken(
      other,
      { issuer: ISSUER, audience: AUDIENCE },
      subject,
    );
    await expectRefused(token, 'unknown_kid');
  });
});

/** Replaces fetch with a trap that records any outbound request the verifier makes. */
function trapFetch(): string[] {
  const fetched: string[] = [];
  globalThis.fetch = (async (input: unknown) => {
    fetched.push(String(input));
    throw new Error('the verifier must never fetch');
  }) as typeof fetch;
  return fetched;
}
