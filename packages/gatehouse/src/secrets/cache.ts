/**
 * How a running server takes up a new version of a secret without a restart: values are read
 * through a cache that asks the provider again once they are `refreshMs` old, and a rotation in
 * the same process calls `invalidate` to take the new value up at once.
 * @module
 */
import { GatehouseError } from '../errors.js';
import { assertSecretName } from './names.js';
import type { Secret, SecretProvider } from './provider.js';

/** Options of `createSecretCache`. */
export interface SecretCacheOptions {
  /** How long a value read is used before the provider is asked again. @default 60000 */
  readonly refreshMs?: number;
  /**
   * How long past `refreshMs` a value is still served while the provider fails, so a short
   * Vault outage does not take the app down. `0` turns this off. @default 300000
   */
  readonly maxStaleMs?: number;
  /** How many secrets are kept; the least recently read is dropped first. @default 1000 */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

/** A provider's `get`, cached. */
export interface SecretCache {
  /** The secret, from the cache when it was read less than `refreshMs` ago. */
  get(name: string): Promise<Secret | undefined>;
  /** Forgets one secret, or every secret without a name: the next `get` reads the provider. */
  invalidate(name?: string): void;
}

interface Entry {
  secret: Secret | undefined;
  /** When the provider last answered for this name. */
  readAt: number;
  /** When the provider was last asked, answered or not. */
  checkedAt: number;
}

/**
 * Caches `provider.get`, absences included. Concurrent reads of one name share one provider
 * call. When a refresh fails, the last value is served until it is `refreshMs + maxStaleMs`
 * old and the provider is asked again after another `refreshMs`; then the error is thrown.
 * @example
 * const secrets = createSecretCache(provider, { refreshMs: 30_000 });
 * const key = await secrets.get('billing/hmac');
 * // after `gatehouse` rotated it in this process:
 * secrets.invalidate('billing/hmac');
 */
export function createSecretCache(
  provider: SecretProvider,
  options: SecretCacheOptions = {},
): SecretCache {
  const refreshMs = options.refreshMs ?? 60_000;
  const maxStaleMs = options.maxStaleMs ?? 300_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const clock = options.clock ?? Date.now;
  for (const [option, value] of Object.entries({ refreshMs, maxStaleMs, maxEntries })) {
    if (!Number.isFinite(value) || value < 0) {
      throw new GatehouseError('ERR_CONFIG_INVALID', `the secret cache's ${option} is not valid`);
    }
  }

  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<Secret | undefined>>();
  /** Bumped by `invalidate`, so a read started before it does not store an older value. */
  let generation = 0;

  const remember = (name: string, entry: Entry) => {
    entries.delete(name);
    entries.set(name, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  async function refresh(name: string, cached: Entry | undefined): Promise<Secret | undefined> {
    const started = generation;
    try {
      const secret = await provider.get(name);
      const now = clock();
      if (started === generation) remember(name, { secret, readAt: now, checkedAt: now });
      return secret;
    } catch (error) {
      const now = clock();
      if (!cached || now - cached.readAt >= refreshMs + maxStaleMs) throw error;
      if (started === generation) remember(name, { ...cached, checkedAt: now });
      return cached.secret;
    }
  }

  return {
    async get(name) {
      assertSecretName(name);
      const cached = entries.get(name);
      if (cached && clock() - cached.checkedAt < refreshMs) {
        remember(name, cached);
        return cached.secret;
      }

      const inFlight = pending.get(name);
      if (inFlight) return inFlight;
      const read = refresh(name, cached).finally(() => {
        if (pending.get(name) === read) pending.delete(name);
      });
      pending.set(name, read);
      return read;
    },

    invalidate(name) {
      generation += 1;
      if (name === undefined) {
        entries.clear();
        pending.clear();
        return;
      }
      entries.delete(name);
      pending.delete(name);
    },
  };
}
