import { describe, expect, it } from 'vitest';

import { GatehouseError } from '../errors.js';
import { createSecretCache } from './cache.js';
import type { Secret, SecretProvider } from './provider.js';

/** A provider whose values the test sets, counting reads and failing on demand. */
function fakeProvider() {
  const values = new Map<string, string>();
  const state = { reads: 0, failing: false };
  const provider: SecretProvider = {
    kind: 'files',
    writable: false,
    async get(name) {
      state.reads += 1;
      if (state.failing) throw new GatehouseError('ERR_SECRET_UNAVAILABLE', 'down');
      const value = values.get(name);
      if (value === undefined) return undefined;
      const secret: Secret = {
        value: new TextEncoder().encode(value),
        metadata: { name, version: value, createdAt: undefined, updatedAt: undefined },
      };
      return secret;
    },
    metadata: () => Promise.resolve(undefined),
    list: () => Promise.resolve([]),
    put: () => Promise.reject(new Error('unused')),
  };
  return { provider, values, state };
}

const text = (secret: Secret | undefined) => secret && new TextDecoder().decode(secret.value);

describe('secret cache', () => {
  it('serves the value read until it is refreshMs old, then reads the new version', async () => {
    const { provider, values, state } = fakeProvider();
    let now = 0;
    const cache = createSecretCache(provider, { refreshMs: 30_000, clock: () => now });
    values.set('k', 'v1');

    expect(text(await cache.get('k'))).toBe('v1');
    values.set('k', 'v2');
    now = 29_999;
    expect(text(await cache.get('k'))).toBe('v1');
    now = 30_000;
    expect(text(await cache.get('k'))).toBe('v2');
    expect(state.reads).toBe(2);
  });

  it('takes a rotated value up at once after invalidate', async () => {
    const { provider, values } = fakeProvider();
    const cache = createSecretCache(provider, { refreshMs: 60_000, clock: () => 0 });
    values.set('k', 'old');
    values.set('j', 'one');
    await cache.get('k');
    await cache.get('j');

    values.set('k', 'new');
    values.set('j', 'two');
    cache.invalidate('k');
    expect(text(await cache.get('k'))).toBe('new');
    expect(text(await cache.get('j'))).toBe('one');
    cache.invalidate();
    expect(text(await cache.get('j'))).toBe('two');
  });

  it('caches absence too, so unknown names do not reach the provider each time', async () => {
    const { provider, values, state } = fakeProvider();
    let now = 0;
    const cache = createSecretCache(provider, { refreshMs: 1_000, clock: () => now });
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
    expect(state.reads).toBe(1);

    values.set('k', 'created');
    now = 1_000;
    expect(text(await cache.get('k'))).toBe('created');
  });

  it('shares one provider read among concurrent gets', async () => {
    const { provider, values, state } = fakeProvider();
    const cache = createSecretCache(provider, { clock: () => 0 });
    values.set('k', 'v');
    const all = await Promise.all([cache.get('k'), cache.get('k'), cache.get('k')]);
    expect(all.map(text)).toEqual(['v', 'v', 'v']);
    expect(state.reads).toBe(1);
  });

  it('serves the last value while the provider fails, up to maxStaleMs, then throws', async () => {
    const { provider, values, state } = fakeProvider();
    let now = 0;
    const cache = createSecretCache(provider, {
      refreshMs: 10_000,
      maxStaleMs: 60_000,
      clock: () => now,
    });
    values.set('k', 'v');
    await cache.get('k');

    state.failing = true;
    now = 10_000;
    expect(text(await cache.get('k'))).toBe('v');
    now = 15_000;
    expect(text(await cache.get('k'))).toBe('v');
    expect(state.reads).toBe(2);

    now = 70_000;
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'ERR_SECRET_UNAVAILABLE' });
  });

  it('throws the provider error when nothing was read before', async () => {
    const { provider, state } = fakeProvider();
    state.failing = true;
    const cache = createSecretCache(provider, { clock: () => 0 });
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'ERR_SECRET_UNAVAILABLE' });
  });

  it('keeps at most maxEntries secrets, dropping the least recently read', async () => {
    const { provider, values, state } = fakeProvider();
    const cache = createSecretCache(provider, { maxEntries: 2, clock: () => 0 });
    for (const name of ['a', 'b', 'c']) values.set(name, name);
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    state.reads = 0;

    await cache.get('c');
    await cache.get('b');
    expect(state.reads).toBe(0);
    await cache.get('a');
    expect(state.reads).toBe(1);
    await cache.get('b');
    expect(state.reads).toBe(1);
    await cache.get('c');
    expect(state.reads).toBe(2);
  });

  it('validates names and options', async () => {
    const { provider } = fakeProvider();
    await expect(createSecretCache(provider).get('../x')).rejects.toMatchObject({
      code: 'ERR_SECRET_NAME_INVALID',
    });
    expect(() => createSecretCache(provider, { refreshMs: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
