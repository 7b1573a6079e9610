/**
 * What both parts of the authentication benchmark share: the token settings, one Ed25519 signing
 * key, the tokens signed with it, and raw `jose` verification of them (the anchor).
 */
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { createKeyRing, generateSigningKey, issueAccessToken } from 'gatehouse/auth';

export const SETTINGS = {
  issuer: 'http://bench.test',
  audience: 'http://bench.test/api',
  lifetimeSeconds: 600,
};

/** What a careful hand-written verifier asks of jose: the same checks as RFC 9068 requires. */
export const JOSE_OPTIONS = {
  algorithms: ['EdDSA'],
  issuer: SETTINGS.issuer,
  audience: SETTINGS.audience,
  typ: 'at+jwt',
};

/** RFC 6750 §2.1, the pattern Gatehouse's Bearer authenticator uses. */
export const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The n-th benchmark user: every tenth one an admin, so both roles travel. */
export const subject = (n) => ({
  userId: `user-${String(n).padStart(4, '0')}`,
  role: n % 10 === 0 ? 'admin' : 'user',
});

/** A fresh key record (the private JWK the children rebuild their ring from). */
export const newSigningKey = () => generateSigningKey();

/** The key ring of a record, as Gatehouse builds it. */
export const ringOf = (record) => createKeyRing([record]);

/** The record's public key, imported the way raw jose users import it. */
export const publicKeyOf = (record) =>
  importJWK({ kty: 'OKP', crv: 'Ed25519', x: record.privateJwk.x }, 'EdDSA');

/** `count` tokens for distinct users, each `{ token, userId, role }`. */
export async function issueTokens(ring, count) {
  const tokens = [];
  for (let n = 0; n < count; n += 1) {
    const who = subject(n);
    const { token } = await issueAccessToken(ring, SETTINGS, who);
    tokens.push({ token, ...who });
  }
  return tokens;
}

/** Raw jose: verify and return the subject, or undefined. */
export async function joseVerify(token, publicKey) {
  try {
    const { payload } = await jwtVerify(token, publicKey, JOSE_OPTIONS);
    return payload;
  } catch {
    return undefined;
  }
}

/**
 * Tokens every verifier must refuse, so none is fast because it checks less: a signature that
 * does not match, another audience, expired, typed `JWT` instead of `at+jwt`.
 */
export async function badTokens(ring, record) {
  const who = subject(1);
  const { token } = await issueAccessToken(ring, SETTINGS, who);
  const [header, payload, signature] = token.split('.');
  // Change a character in the middle: the last one may only carry padding bits.
  const middle = Math.floor(signature.length / 2);
  const flipped = signature[middle] === 'A' ? 'B' : 'A';
  const tampered = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;

  const otherAudience = await issueAccessToken(
    ring,
    { ...SETTINGS, audience: 'http://elsewhere.test/api' },
    who,
  );
  const hourAgo = Date.now() - 3_600_000;
  const expired = await issueAccessToken(ring, SETTINGS, who, () => hourAgo);

  const privateKey = await importJWK(record.privateJwk, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  const plainJwt = await new SignJWT({ role: who.role })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: record.kid })
    .setSubject(who.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setIssuer(SETTINGS.issuer)
    .setAudience(SETTINGS.audience)
    .sign(privateKey);

  return {
    'tampered signature': tampered,
    'other audience': otherAudience.token,
    expired: expired.token,
    'typ JWT': plainJwt,
  };
}
