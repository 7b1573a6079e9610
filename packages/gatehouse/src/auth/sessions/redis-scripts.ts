/**
 * Lua scripts of the Redis session store. Each one touches the keys of a single hash slot, named
 * in KEYS, so it runs atomically on a single server and on Redis Cluster alike.
 *
 * A family's hash holds `user`, `created`, `expires`, `used` (last rotation), `revoked`, `reason`
 * and `head` (the hash of its current token); a token's hash holds `created` and, once rotated,
 * `rotated`, `sealed` and `next` (the successor's hash). Missing fields come back as ''.
 * @module
 */

/** KEYS: family, first token. ARGV: user, created, expires, token hash. */
export const CREATE_FAMILY = `
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'created', ARGV[2], 'expires', ARGV[3],
  'used', ARGV[2], 'head', ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], 'created', ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return 1
`;

/** KEYS: token index. ARGV: family id, expires. Maps a token hash to its family's slot. */
export const INDEX_TOKEN = `
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
`;

/** KEYS: token index. Returns the family id, or nil. */
export const FAMILY_OF_TOKEN = `
return redis.call('GET', KEYS[1])
`;

/** KEYS: token index. Drops the index of a successor that lost its race and was never issued. */
export const UNINDEX_TOKEN = `
return redis.call('DEL', KEYS[1])
`;

/**
 * KEYS: user's families. ARGV: family id, expires, now. A sorted set scored by expiry, so
 * expired ids are dropped here and the set itself lives as long as the user's last family.
 */
export const ADD_USER_FAMILY = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
`;

/** KEYS: user's families. ARGV: now. Returns the ids of families not yet expired. */
export const USER_FAMILIES = `
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
`;

/**
 * KEYS: family, token. Returns nil when either is gone, else
 * { user, created, expires, used, revoked, reason, rotated, sealed, successor is head ('1'/'0') }.
 */
export const FIND_TOKEN = `
local f = redis.call('HMGET', KEYS[1], 'user', 'created', 'expires', 'used', 'revoked', 'reason',
  'head')
local t = redis.call('HMGET', KEYS[2], 'created', 'rotated', 'sealed', 'next')
if not f[1] or not t[1] then return false end
local current = (t[4] and t[4] == f[7]) and '1' or '0'
return { f[1], f[2], f[3], f[4], f[5] or '', f[6] or '', t[2] or '', t[3] or '', current }
`;

/**
 * KEYS: family, old token, new token. ARGV: now, new hash, sealed successor. The compare-and-set
 * of a rotation. Returns { 'rotated' }, { 'refused' } (family revoked or gone, token unknown) or
 * { 'lost', rotated, sealed, successor is head } when another request rotated the token first.
 */
export const ROTATE = `
local f = redis.call('HMGET', KEYS[1], 'expires', 'revoked', 'used', 'head')
if not f[1] or f[2] then return { 'refused' } end
local t = redis.call('HMGET', KEYS[2], 'created', 'rotated', 'sealed', 'next')
if not t[1] then return { 'refused' } end
if t[2] then return { 'lost', t[2], t[3], (t[4] == f[4]) and '1' or '0' } end

redis.call('HSET', KEYS[2], 'rotated', ARGV[1], 'sealed', ARGV[3], 'next', ARGV[2])
redis.call('HSET', KEYS[3], 'created', ARGV[1])
redis.call('PEXPIREAT', KEYS[3], f[1])
local used = f[3]
if tonumber(used) < tonumber(ARGV[1]) then used = ARGV[1] end
redis.call('HSET', KEYS[1], 'head', ARGV[2], 'used', used)
return { 'rotated' }
`;

/**
 * KEYS: family. ARGV: now, reason. Returns nil when the family is gone or already revoked, else
 * { user, created, expires, used } as they were.
 */
export const REVOKE_FAMILY = `
local f = redis.call('HMGET', KEYS[1], 'user', 'created', 'expires', 'used', 'revoked')
if not f[1] or f[5] then return false end
redis.call('HSET', KEYS[1], 'revoked', ARGV[1], 'reason', ARGV[2])
return { f[1], f[2], f[3], f[4] }
`;
