/**
 * Cross-origin resource sharing: an explicit allowlist of origins, structural subdomain
 * patterns, explicit preflight answers, and the headers browser clients may read.
 * @module
 */
export {
  createCorsPolicy,
  DEFAULT_EXPOSED_HEADERS,
  type CorsOptions,
  type CorsPolicy,
} from './policy.js';
export {
  createOriginMatcher,
  parseOriginRule,
  serialisedOrigin,
  type OriginRule,
} from './origins.js';
