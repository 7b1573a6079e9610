/**
 * Refresh-token sessions: rotating refresh families with reuse detection, on SQL or Redis.
 * @module
 */
export { createSessionManager, defaultSessionSettings } from './manager.js';
export { createRedisSessionStore } from './redis-store.js';
export type { RedisLike, RedisSessionStoreOptions, ScriptCall } from './redis-store.js';
export { createSqlSessionStore, sessionMigrations } from './sql-store.js';
export type {
  RefreshFamily,
  RotationRequest,
  RotationResult,
  SessionStore,
  StoredRefreshToken,
  TokenRotation,
} from './store.js';
export type {
  IssuedRefresh,
  RefreshOutcome,
  RevokeReason,
  SessionManager,
  SessionSettings,
} from './types.js';
