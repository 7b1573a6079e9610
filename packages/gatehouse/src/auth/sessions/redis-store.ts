/**
 * The refresh-session store on Redis (or Redis Cluster). Every operation is one Lua script on one
 * hash slot: a family and its tokens share the `{familyId}` hash tag, and only the token-hash
 * index and the per-user set live elsewhere. Keys expire at the family's absolute expiry.
 * @module
 */
import * as scripts from './redis-scripts.js';
import type { RefreshFamily, SessionStore, TokenRotation } from './store.js';
import type { RevokeReason } from './types.js';
import { corrupt, storedMillis, storedText } from './rows.js';

const SOURCE = 'Redis';

/** Keys and arguments of one script call. */
export interface ScriptCall {
  keys: string[];
  arguments: string[];
}

/** The two calls the store makes; a node-redis v6 client or cluster client fits as it is. */
export interface RedisLike {
  evalSha(sha1: string, options: ScriptCall): Promise<unknown>;
  eval(script: string, options: ScriptCall): Promise<unknown>;
}

/** Options of the Redis session store. */
export interface RedisSessionStoreOptions {
  /** Prefix of every key the store writes. @default 'gh:sess:' */
  readonly prefix?: string;
}

/**
 * Creates the Redis session store.
 *
 * @example
 * const client = createClient({ url: process.env.REDIS_URL });
 * await client.connect();
 * const sessions = createSessionManager(createRedisSessionStore(client));
 */
export function createRedisSessionStore(
  client: RedisLike,
  options: RedisSessionStoreOptions = {},
): SessionStore {
  const prefix = options.prefix ?? 'gh:sess:';
  const familyKey = (familyId: string) => `${prefix}{${familyId}}:family`;
  const tokenKey = (familyId: string, hash: string) => `${prefix}{${familyId}}:token:${hash}`;
  const indexKey = (hash: string) => `${prefix}index:${hash}`;
  const userKey = (userId: string) => `${prefix}user:${userId}`;

  const digests = new Map<string, Promise<string>>();
  // EVALSHA keeps the script off the wire; after a restart or SCRIPT FLUSH the server answers
  // NOSCRIPT, and EVAL both runs the script and caches it again.
  const run = async (script: string, keys: string[], args: (string | number)[] = []) => {
    const call = { keys, arguments: args.map(String) };
    let digest = digests.get(script);
    if (digest === undefined) digests.set(script, (digest = sha1(script)));
    try {
      return await client.evalSha(await digest, call);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(script, call);
    }
  };

  const index = (hash: string, familyId: string, expiresAt: number) =>
    run(scripts.INDEX_TOKEN, [indexKey(hash)], [familyId, expiresAt]);

  const revokeFamily = async (familyId: string, reason: RevokeReason, now: number) => {
    const reply = await run(scripts.REVOKE_FAMILY, [familyKey(familyId)], [now, reason]);
    return reply === null ? undefined : toFamily(familyId, strings(reply, 4), now, reason);
  };

  return {
    async createFamily(family, tokenHash) {
      const { id, userId, createdAt, expiresAt } = family;
      await run(scripts.ADD_USER_FAMILY, [userKey(userId)], [id, expiresAt, createdAt]);
      await index(tokenHash, id, expiresAt);
      await run(
        scripts.CREATE_FAMILY,
        [familyKey(id), tokenKey(id, tokenHash)],
        [userId, createdAt, expiresAt, tokenHash],
      );
    },

    async findToken(hash) {
      const familyId = await run(scripts.FAMILY_OF_TOKEN, [indexKey(hash)]);
      if (familyId === null) return undefined;
      const id = storedText(familyId, SOURCE);

      const reply = await run(scripts.FIND_TOKEN, [familyKey(id), tokenKey(id, hash)]);
      if (reply === null) return undefined;
      const fields = strings(reply, 9);
      return {
        hash,
        family: toFamily(id, fields.slice(0, 4), fields[4], fields[5]),
        rotation: toRotation(fields.slice(6)),
      };
    },

    async rotate({ familyId, oldHash, newHash, sealedSuccessor, now, expiresAt }) {
      // The successor's index goes first, in its own slot: once the script has run, anyone may
      // be handed the successor, and it must then be findable.
      await index(newHash, familyId, expiresAt);
      const reply = await run(
        scripts.ROTATE,
        [familyKey(familyId), tokenKey(familyId, oldHash), tokenKey(familyId, newHash)],
        [now, newHash, sealedSuccessor],
      );
      const [kind, ...fields] = strings(reply, 1);
      if (kind === 'rotated') return { kind };

      await run(scripts.UNINDEX_TOKEN, [indexKey(newHash)]);
      const rotation = kind === 'lost' ? toRotation(fields) : undefined;
      return rotation === undefined ? { kind: 'refused' } : { kind: 'lost', rotation };
    },

    revokeFamily,

    async revokeUserFamilies(userId, reason, now, exceptFamilyId) {
      const ids = strings(await run(scripts.USER_FAMILIES, [userKey(userId)], [now]), 0);
      const revoked = await Promise.all(
        ids.filter((id) => id !== exceptFamilyId).map((id) => revokeFamily(id, reason, now)),
      );
      return revoked.filter((family) => family !== undefined);
    },
  };
}

function toFamily(
  id: string,
  [user, created, expires, used]: (string | undefined)[],
  revoked: string | number | undefined,
  reason: string | undefined,
): RefreshFamily {
  return {
    id,
    userId: storedText(user, SOURCE),
    createdAt: storedMillis(created, SOURCE),
    expiresAt: storedMillis(expires, SOURCE),
    lastUsedAt: storedMillis(used, SOURCE),
    revokedAt: revoked === '' || revoked === undefined ? undefined : storedMillis(revoked, SOURCE),
    revokeReason: reason === '' || reason === undefined ? undefined : (reason as RevokeReason),
  };
}

function toRotation([rotated, sealed, current]: string[]): TokenRotation | undefined {
  if (rotated === undefined || rotated === '') return undefined;
  if (sealed === undefined || sealed === '') throw corrupt(SOURCE);
  return {
    rotatedAt: storedMillis(rotated, SOURCE),
    sealedSuccessor: sealed,
    successorIsCurrent: current === '1',
  };
}

function strings(reply: unknown, minLength: number): string[] {
  if (!Array.isArray(reply) || reply.length < minLength) throw corrupt(SOURCE);
  return reply.map((value: unknown) => storedText(value, SOURCE));
}

async function sha1(script: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(script));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
