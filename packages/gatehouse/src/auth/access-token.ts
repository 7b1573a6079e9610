/**
 * Access tokens: short-lived JWTs typed `at+jwt` (RFC 9068 §2.1), signed with the key ring's
 * active Ed25519 key, and a verifier that follows the JWT Best Current Practices (RFC 8725).
 * @module
 */
import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { z } from 'zod';

import { GatehouseError } from '../errors.js';
import type { KeyRing } from './key-ring.js';
import { createTokenCache } from './token-cache.js';
import { systemClock, type AccessClaims, type Clock, type Role } from './types.js';

/** What every token of one deployment carries and how long it lives. */
export interface AccessTokenSettings {
  /** The deployment's public URL: every token's `iss`. */
  readonly issuer: string;
  /** Every token's `aud`, e.g. the public URL + '/api'. */
  readonly audience: string;
  /** @default 600 (10 minutes) */
  readonly lifetimeSeconds?: number;
  /** Clock skew allowed on `exp`, `nbf` and `iat`; at most 60. @default 5 */
  readonly clockToleranceSeconds?: number;
}

/** Why a token was refused: for logs and tests only, since callers answer one generic 401. */
export type TokenRejection =
  | 'malformed'
  | 'too_large'
  | 'algorithm'
  | 'header_key'
  | 'unknown_kid'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'issuer'
  | 'audience'
  | 'type'
  | 'claims';

export type TokenCheck =
  | { readonly ok: true; readonly claims: AccessClaims }
  | { readonly ok: false; readonly reason: TokenRejection };

/** Verifies access tokens against a key ring, caching the claims of valid ones. */
export interface AccessTokenVerifier {
  /** The claims of a valid token, or undefined whatever the reason. */
  verify(token: string): Promise<AccessClaims | undefined>;
  /** The claims of a valid token, or the reason it was refused. Never throws for any input. */
  check(token: string): Promise<TokenCheck>;
  /** Empties the verified-token cache. */
  clearCache(): void;
}

export interface AccessTokenVerifierOptions {
  /** Verified tokens kept in memory; 0 disables the cache. @default 10_000 */
  readonly cacheSize?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Longer tokens are refused before any decoding, which bounds the work an attacker can cause. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

const ALGORITHM = 'EdDSA';
const TOKEN_TYPE = 'at+jwt';
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** Header parameters that name a key by value or by URL: honouring them lets the sender choose
 * the key, or makes the server fetch a URL the sender chose (RFC 8725 §2.8, §3.10). */
const KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'] as const;

/** jose names the claim that failed; these have a reason of their own, the rest are 'claims'. */
const CLAIM_REJECTIONS = new Map<string, TokenRejection>([
  ['iss', 'issuer'],
  ['aud', 'audience'],
  ['typ', 'type'],
  ['nbf', 'not_yet_valid'],
]);

const userIdSchema = z.string().min(1).max(128);
const roleSchema = z.enum(['user', 'admin']);
const subjectSchema = z.object({ userId: userIdSchema, role: roleSchema });
const claimsSchema = z.object({
  sub: userIdSchema,
  role: roleSchema,
  iat: z.number(),
  exp: z.number(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
});

/**
 * Signs an access token for a user with the ring's active key. Its claims are exactly `sub`,
 * `role`, `iat`, `exp`, `iss` and `aud`.
 *
 * @example const { token, expiresIn } = await issueAccessToken(ring, settings, { userId, role });
 * @default clock — systemClock
 */
export async function issueAccessToken(
  ring: KeyRing,
  settings: AccessTokenSettings,
  subject: { userId: string; role: Role },
  clock: Clock = systemClock,
): Promise<{ token: string; expiresIn: number }> {
  const { issuer, audience, lifetimeSeconds } = resolveSettings(settings);
  if (!subjectSchema.safeParse(subject).success) {
    throw new GatehouseError('ERR_TOKEN_SUBJECT_INVALID', 'The user id or role is not valid.');
  }

  const { kid, key } = ring.signingKey();
  const issuedAt = Math.floor(clock() / 1000);
  const token = await new SignJWT({ role: subject.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid })
    .setSubject(subject.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + lifetimeSeconds)
    .setIssuer(issuer)
    .setAudience(audience)
    .sign(key);
  return { token, expiresIn: lifetimeSeconds };
}

/**
 * Creates a verifier that accepts only `at+jwt` EdDSA tokens signed by a key in the ring. The
 * cache empties whenever the ring changes, so a retired key stops verifying at once.
 *
 * @example const verifier = createAccessTokenVerifier(ring, settings);
 * @default options — { cacheSize: 10_000, clock: systemClock }
 */
export function createAccessTokenVerifier(
  ring: KeyRing,
  settings: AccessTokenSettings,
  options: AccessTokenVerifierOptions = {},
): AccessTokenVerifier {
  const resolved = resolveSettings(settings);
  const { cacheSize = 10_000, clock = systemClock } = options;
  const cache = createTokenCache(cacheSize);
  // Counts ring changes, so a verification that began under the old keys is not cached after.
  const inFlight = new Map<string, Promise<TokenCheck>>();
  let generation = 0;
  ring.onChange(() => {
    generation += 1;
    cache.clear();
  });

  async function check(token: string): Promise<TokenCheck> {
    if (typeof token !== 'string') return refuse('malformed');
    if (token.length > MAX_ACCESS_TOKEN_LENGTH) return refuse('too_large');
    if (!COMPACT_JWS.test(token)) return refuse('malformed');

    const now = clock();
    const cached = cache.get(token, now);
    if (cached !== undefined) return { ok: true, claims: cached };

    // Concurrent first uses of one token share one verification instead of running one each.
    const running = inFlight.get(token);
    if (running) return running;

    const verifying = verifyUncached(token, now).finally(() => inFlight.delete(token));
    inFlight.set(token, verifying);
    return verifying;
  }

  async function verifyUncached(token: string, now: number): Promise<TokenCheck> {
    const kid = readHeader(token);
    if (kid.ok === false) return kid;
    const key = ring.verificationKey(kid.kid);
    if (key === undefined) return refuse('unknown_kid');

    const started = generation;
    const result = await verifySigned(token, key, resolved, now);
    if (result.ok && started === generation) cache.set(token, result.claims);
    return result;
  }

  return {
    check,
    verify: (token) => check(token).then((result) => (result.ok ? result.claims : undefined)),
    clearCache: () => cache.clear(),
  };
}

type ResolvedSettings = Required<AccessTokenSettings>;
type Refusal = Extract<TokenCheck, { ok: false }>;

function resolveSettings(settings: AccessTokenSettings): ResolvedSettings {
  const { issuer, audience, lifetimeSeconds = 600, clockToleranceSeconds = 5 } = settings;
  if (typeof issuer !== 'string' || issuer === '' || typeof audience !== 'string' || !audience) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'Access tokens need an issuer and an audience.');
  }
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > 86_400) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'Token lifetime must be 1 to 86400 seconds.');
  }
  if (!(clockToleranceSeconds >= 0 && clockToleranceSeconds <= 60)) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'The clock tolerance must be 0 to 60 seconds.');
  }
  return { issuer, audience, lifetimeSeconds, clockToleranceSeconds };
}

function readHeader(token: string): { ok: true; kid: string } | Refusal {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refuse('malformed');
  }

  if (KEY_HEADERS.some((name) => Object.hasOwn(header, name))) return refuse('header_key');
  // RFC 8725 §3.1: the algorithm is fixed by the verifier, never taken from the token.
  if (header.alg !== ALGORITHM) return refuse('algorithm');
  const { kid } = header;
  if (typeof kid !== 'string' || kid === '' || kid.length > 128) return refuse('unknown_kid');
  return { ok: true, kid };
}

async function verifySigned(
  token: string,
  key: CryptoKey,
  settings: ResolvedSettings,
  now: number,
): Promise<TokenCheck> {
  const { issuer, audience, clockToleranceSeconds } = settings;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer,
      audience,
      typ: TOKEN_TYPE,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: clockToleranceSeconds,
      currentDate: new Date(now),
    }));
  } catch (error) {
    return refuse(joseRejection(error));
  }

  // jose bounds `iat` only against a maximum age; one in the future means a forged token or an
  // issuer whose clock is wrong (RFC 7519 §4.1.6).
  const { iat } = payload;
  if (typeof iat === 'number' && iat > Math.floor(now / 1000) + clockToleranceSeconds) {
    return refuse('issued_in_future');
  }
  const claims = claimsSchema.safeParse(payload);
  return claims.success ? { ok: true, claims: claims.data } : refuse('claims');
}

function joseRejection(error: unknown): TokenRejection {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (!(error instanceof errors.JWTClaimValidationFailed)) return 'malformed';

  return CLAIM_REJECTIONS.get(error.claim) ?? 'claims';
}

function refuse(reason: TokenRejection): Refusal {
  return { ok: false, reason };
}
