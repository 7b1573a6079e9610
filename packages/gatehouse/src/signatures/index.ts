/**
 * The internal-call layer: RFC 9421 HTTP message signatures with `hmac-sha256` for calls between
 * services, RFC 9530 `Content-Digest` for their bodies, and a nonce store, in memory or on Redis,
 * that accepts each signed request once.
 * @module
 */
export {
  createSignatureBase,
  DERIVED_COMPONENTS,
  type DerivedComponent,
  type SignatureBaseOptions,
  type SignatureBaseProblem,
  type SignatureBaseResult,
} from './base.js';
export {
  contentDigest,
  verifyContentDigest,
  type ContentDigestProblem,
  type ContentDigestVerdict,
  type DigestAlgorithm,
} from './digest.js';
export { HMAC_SHA256, MIN_SECRET_BYTES } from './hmac.js';
export {
  createMemoryReplayStore,
  createRedisReplayStore,
  type MemoryReplayStore,
  type MemoryReplayStoreOptions,
  type RedisReplayClient,
  type RedisReplayStoreOptions,
  type ReplayStore,
} from './replay.js';
export {
  assertSigningKey,
  createSignatureNonce,
  signRequest,
  type SigningKey,
  type SignRequestOptions,
} from './sign.js';
export {
  createSignatureVerifier,
  type SignatureKeyResolver,
  type SignatureRefusal,
  type SignatureVerdict,
  type SignatureVerifier,
  type SignatureVerifierOptions,
  type VerifyRequestOptions,
} from './verify.js';
