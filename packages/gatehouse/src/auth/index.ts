/**
 * The authentication layer: Ed25519 signing keys and their rotation, short-lived `at+jwt` access
 * tokens and the verifier that checks them (RFC 8725), and the shared vocabulary of identities.
 * Refresh sessions, passwords (Argon2id), account flows and key files are Node-only; tokens and
 * the key ring run on any WebCrypto runtime.
 * @module
 */
export {
  createAccessTokenVerifier,
  issueAccessToken,
  MAX_ACCESS_TOKEN_LENGTH,
  type AccessTokenSettings,
  type AccessTokenVerifier,
  type AccessTokenVerifierOptions,
  type TokenCheck,
  type TokenRejection,
} from './access-token.js';
export { loadOrCreateSigningKeys, retireSigningKey, rotateSigningKeys } from './key-files.js';
export {
  createKeyRing,
  generateSigningKey,
  type KeyRing,
  type KeyState,
  type SigningKeyRecord,
} from './key-ring.js';
export { systemClock, type AccessClaims, type Clock, type Principal, type Role } from './types.js';
export { createBearerAuthenticator, type TokenChecker } from './bearer.js';
export {
  createPasswordHasher,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type PasswordHasher,
  type PasswordHashing,
} from './passwords.js';
export {
  clearedRefreshCookie,
  readRefreshCookie,
  REFRESH_COOKIE,
  refreshCookie,
} from './refresh-cookie.js';
export * from './sessions/index.js';
export * from './accounts/index.js';
export {
  createAccountService,
  type AccountService,
  type AccountServiceOptions,
  type Grant,
  type RefreshResult,
  type SecurityEvent,
} from './accounts/service.js';
