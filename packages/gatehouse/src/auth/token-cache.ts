/**
 * A bounded cache of verified access tokens, so a client that sends the same token on every
 * request pays for one signature check per token rather than one per request.
 * @module
 */
import { GatehouseError } from '../errors.js';
import type { AccessClaims } from './types.js';

/** Verified claims by exact token string, least recently used first out. */
export interface TokenCache {
  /** A cached token's claims while `now` (ms) is before its `exp`; an expired entry is dropped. */
  get(token: string, now: number): AccessClaims | undefined;
  set(token: string, claims: AccessClaims): void;
  clear(): void;
  readonly size: number;
}

/**
 * Creates an LRU cache holding at most `capacity` tokens; a capacity of 0 caches nothing.
 *
 * @example const cache = createTokenCache(10_000);
 */
export function createTokenCache(capacity: number): TokenCache {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'The token cache size must be an integer ≥ 0.');
  }
  // A Map iterates in insertion order, so re-inserting on a hit keeps the oldest entry first.
  const entries = new Map<string, AccessClaims>();

  return {
    get(token, now) {
      const claims = entries.get(token);
      if (claims === undefined) return undefined;

      entries.delete(token);
      // Past `exp` the token goes back through full verification, which applies the clock
      // tolerance and then refuses it; the cache itself never extends a token's life.
      if (now >= claims.exp * 1000) return undefined;
      entries.set(token, claims);
      return claims;
    },
    set(token, claims) {
      if (capacity === 0) return;
      entries.delete(token);
      entries.set(token, claims);
      while (entries.size > capacity) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
    },
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}
