/**
 * Replay protection for signed requests: a `(keyid, nonce)` pair is accepted once for as long as
 * its signature could be accepted, in bounded process memory or in Redis shared by all instances.
 * @module
 */
import type { Clock } from '../auth/types.js';
import { GatehouseError } from '../errors.js';

/**
 * Where claimed nonces are remembered. `claim` resolves `true` the first time a pair is claimed
 * within `ttlMs`, `false` when it was claimed before and has not yet expired, and rejects when it
 * cannot tell (a store that is unreachable, or full); the verifier refuses the request then too.
 */
export interface ReplayStore {
  claim(keyId: string, nonce: string, ttlMs: number): Promise<boolean>;
}

/** Options of the in-memory replay store. */
export interface MemoryReplayStoreOptions {
  /** Most unexpired nonces held; when they are all live, new claims are rejected. @default 100_000 */
  readonly maxEntries?: number;
  /** Source of the time in milliseconds. @default Date.now */
  readonly now?: Clock;
}

/** The in-memory replay store, with a look at how many nonces it holds. */
export interface MemoryReplayStore extends ReplayStore {
  /** Nonces held, never more than `maxEntries`. */
  readonly size: number;
}

/** The store key of a pair; both parts are encoded so that no two pairs share one. */
const pairKey = (keyId: string, nonce: string) =>
  `${encodeURIComponent(keyId)}:${encodeURIComponent(nonce)}`;

const ttlOf = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));

/**
 * Creates the in-memory replay store, for one process. It never forgets a nonce before it
 * expires: forgetting one would let its request be replayed. So when `maxEntries` nonces are all
 * unexpired it rejects new claims (and the verifier refuses those requests as `unavailable`)
 * instead of evicting, and frees room only as nonces expire. Size `maxEntries` above the signed
 * requests expected within the verifier's `maxAgeSeconds + clockSkewSeconds`.
 *
 * Throws `ERR_CONFIG_INVALID` when `maxEntries` is not a positive integer.
 *
 * @example
 * const verifier = createSignatureVerifier({ keys, replay: createMemoryReplayStore() });
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): MemoryReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new GatehouseError('ERR_CONFIG_INVALID', 'maxEntries must be a positive integer');
  }

  const expiries = new Map<string, number>();
  // Keys grouped by the second they expire in, so a sweep visits buckets, not every nonce, and
  // runs only once the earliest bucket is due: at most once a second.
  const buckets = new Map<number, string[]>();
  let earliest = Infinity;

  const sweep = (at: number) => {
    earliest = Infinity;
    for (const [second, keys] of buckets) {
      if (second * 1000 > at) {
        earliest = Math.min(earliest, second);
        continue;
      }
      for (const key of keys) {
        const expiry = expiries.get(key);
        if (expiry !== undefined && expiry <= at) expiries.delete(key);
      }
      buckets.delete(second);
    }
  };

  return {
    get size() {
      return expiries.size;
    },

    async claim(keyId, nonce, ttlMs) {
      const at = now();
      if (earliest * 1000 <= at) sweep(at);

      const key = pairKey(keyId, nonce);
      const expiry = expiries.get(key);
      if (expiry !== undefined && expiry > at) return false;
      if (expiry === undefined && expiries.size >= maxEntries) {
        throw new GatehouseError(
          'ERR_CONFIG_INVALID',
          'The replay store holds maxEntries unexpired nonces; raise maxEntries',
        );
      }

      const until = at + ttlOf(ttlMs);
      const second = Math.ceil(until / 1000);
      expiries.set(key, until);
      const bucket = buckets.get(second);
      if (bucket === undefined) buckets.set(second, [key]);
      else bucket.push(key);
      earliest = Math.min(earliest, second);
      return true;
    },
  };
}

/**
 * The one Redis call the Redis replay store makes, in the shape of node-redis v5/v6's `set`.
 * A node-redis client fits as it is; another client needs a few lines of adapter.
 */
export interface RedisReplayClient {
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
}

/** Options of the Redis replay store. */
export interface RedisReplayStoreOptions {
  /** Prefix of every key the store writes. @default 'gh:nonce:' */
  readonly prefix?: string;
}

/**
 * Creates the replay store shared by every instance through Redis: one `SET key 1 NX PX ttl` per
 * claim, atomic on the server, so a nonce accepted by one instance is refused by all the others.
 * Redis expires the keys itself. A Redis error rejects the claim, and the verifier refuses.
 *
 * @example
 * const client = createClient({ url: process.env.REDIS_URL });
 * await client.connect();
 * const replay = createRedisReplayStore(client);
 */
export function createRedisReplayStore(
  client: RedisReplayClient,
  options: RedisReplayStoreOptions = {},
): ReplayStore {
  const prefix = options.prefix ?? 'gh:nonce:';
  return {
    async claim(keyId, nonce, ttlMs) {
      const reply = await client.set(`${prefix}${pairKey(keyId, nonce)}`, '1', {
        condition: 'NX',
        expiration: { type: 'PX', value: ttlOf(ttlMs) },
      });
      return reply === 'OK';
    },
  };
}
