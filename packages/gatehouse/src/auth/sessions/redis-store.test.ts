import { describe, expect, it } from 'vitest';

import * as scripts from './redis-scripts.js';
import { createRedisSessionStore, type RedisLike, type ScriptCall } from './redis-store.js';

// The conformance suite runs the scripts on a real Redis; this records the calls themselves, to
// check the two properties a single server cannot show: slot layout and the NOSCRIPT fallback.
const replies = new Map<string, unknown>([
  [scripts.FAMILY_OF_TOKEN, 'family-1'],
  [scripts.FIND_TOKEN, null],
  [scripts.ROTATE, ['rotated']],
  [scripts.USER_FAMILIES, ['family-1', 'family-2']],
  [scripts.REVOKE_FAMILY, null],
]);

interface RecordedCall extends ScriptCall {
  readonly via: 'eval' | 'evalSha';
  readonly script: string;
}

// Like a server after a restart: EVALSHA knows only the scripts EVAL has run since.
function recordingClient(): RedisLike & { calls: RecordedCall[] } {
  const loaded = new Set<string>();
  const calls: RecordedCall[] = [];
  const byDigest = new Map<string, string>();
  return {
    calls,
    async evalSha(sha1, call) {
      const script = byDigest.get(sha1);
      if (script === undefined || !loaded.has(sha1)) {
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      }
      calls.push({ via: 'evalSha', script, ...call });
      return replies.has(script) ? replies.get(script) : 1;
    },
    async eval(script, call) {
      const digest = await sha1(script);
      byDigest.set(digest, script);
      loaded.add(digest);
      calls.push({ via: 'eval', script, ...call });
      return replies.has(script) ? replies.get(script) : 1;
    },
  };
}

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
}

/** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
function slotTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open !== -1 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('createRedisSessionStore', () => {
  it('keeps the keys of every script call in one hash slot', async () => {
    const client = recordingClient();
    const store = createRedisSessionStore(client);
    const family = { id: 'family-1', userId: 'user-1', createdAt: 1, expiresAt: 2 };

    await store.createFamily(family, 'hash-0');
    await store.findToken('hash-0');
    await store.rotate({
      familyId: 'family-1',
      oldHash: 'hash-0',
      newHash: 'hash-1',
      sealedSuccessor: 'sealed',
      now: 1,
      expiresAt: 2,
    });
    await store.revokeUserFamilies('user-1', 'admin', 1, 'family-2');

    const { calls } = client;
    expect(calls.length).toBeGreaterThan(5);
    for (const { keys } of calls) {
      expect(new Set(keys.map(slotTag)).size).toBe(1);
      for (const key of keys) expect(key.startsWith('gh:sess:')).toBe(true);
    }
    const rotate = calls.find((call) => call.keys.length === 3);
    expect(rotate?.keys.map(slotTag)).toEqual(['family-1', 'family-1', 'family-1']);
  });

  it('falls back to EVAL when the server has no cached script, then uses EVALSHA', async () => {
    const client = recordingClient();
    const store = createRedisSessionStore(client, { prefix: 'app:' });

    await store.findToken('hash-0');
    await store.findToken('hash-0');

    const { calls } = client;
    expect(calls.map((call) => call.via)).toEqual(['eval', 'eval', 'evalSha', 'evalSha']);
    expect(calls[0]).toMatchObject({
      script: scripts.FAMILY_OF_TOKEN,
      keys: ['app:index:hash-0'],
    });
  });

  it('does not swallow other errors as NOSCRIPT', async () => {
    const failure = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    const client: RedisLike = {
      evalSha: () => Promise.reject(failure),
      eval: () => Promise.reject(new Error('not reached')),
    };
    await expect(createRedisSessionStore(client).findToken('hash-0')).rejects.toBe(failure);
  });
});
