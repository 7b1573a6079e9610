/**
 * The rate-limit layer: sliding-window and sliding-log limits per policy and client key, decided
 * for all of a request's policies at once and charged only if all admit it, in memory or on Redis.
 * @module
 */
export { mostRestrictive } from './decision.js';
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from './memory-store.js';
export {
  createRedisRateLimitStore,
  type RedisLike,
  type RedisRateLimitStoreOptions,
  type ScriptCall,
} from './redis-store.js';
export { groupBySlot, hashSlot } from './redis-scripts.js';
export type {
  LimitCheck,
  LimitDecision,
  LimitState,
  RateLimitAlgorithm,
  RateLimitStore,
} from './types.js';
export {
  createBreaker,
  StoreUnavailableError,
  type Breaker,
  type BreakerOptions,
} from './breaker.js';
export { ipBucket } from './client-key.js';
export { defaultRatePolicies } from './defaults.js';
export { closestToExhaustion, rateLimitHeaders, type PolicyState } from './headers.js';
export {
  createRateLimiter,
  type LimitedVerdict,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitVerdict,
  type RatePolicy,
} from './limiter.js';
export { ratePolicies } from './overrides.js';
