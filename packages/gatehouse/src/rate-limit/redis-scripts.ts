/**
 * The Lua script of the Redis rate-limit store, and the hash-slot arithmetic that groups a
 * request's keys for Redis Cluster.
 *
 * Every counter key carries its client key as a hash tag, `<prefix>{<key>}:<policy>:window` (a
 * hash of window index → units) or `<prefix>{<key>}:<policy>:log` (a sorted set of units scored
 * by time), so all the counters of one client share a slot whatever the policy.
 * @module
 */
import type { LimitCheck } from './types.js';

/**
 * KEYS: one counter per check. ARGV: a nonce unique to the call, then four values per check:
 * `window` or `log`, limit, window in milliseconds, cost.
 *
 * Reads the server clock once (`TIME`), decides every check, and charges only if all admit the
 * request. Replies `{ now, all admitted (1/0) }`, then per check `{ admitted (1/0), a, b }`:
 * for a window the current and previous counts, for a log the live units and the score of the
 * unit `releaseRank` in `log.ts` picks (-1 for an empty log).
 *
 * The admission rule mirrors `slidingWindowVerdict` and `slidingLogVerdict`; the store recomputes
 * the state from the reply with those functions and treats any disagreement as a fault.
 * Numbers stay below 2^53, where Lua's doubles are exact, because `limit × window` is bounded.
 */
export const CHECK_LIMITS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function int(n) return string.format('%d', n) end
local function ceil_div(a, b)
  local q = math.floor(a / b)
  if q * b < a then return q + 1 end
  return q
end

local reply = { now, 1 }
for i = 1, #KEYS do
  local at = 1 + (i - 1) * 4
  local kind, limit = ARGV[at + 1], tonumber(ARGV[at + 2])
  local window, cost = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local admitted, a, b
  if kind == 'window' then
    local index = math.floor(now / window)
    local counts = redis.call('HMGET', KEYS[i], int(index), int(index - 1))
    a, b = tonumber(counts[1]) or 0, tonumber(counts[2]) or 0
    local left = window - (now - index * window)
    admitted = a + ceil_div(b * left, window) + cost <= limit
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', int(now - window))
    a, b = redis.call('ZCARD', KEYS[i]), -1
    admitted = a + cost <= limit
    local rank = a
    if not admitted and cost <= limit then rank = a + cost - limit end
    if rank > 0 then
      b = tonumber(redis.call('ZRANGE', KEYS[i], rank - 1, rank - 1, 'WITHSCORES')[2])
    end
  end
  if not admitted then reply[2] = 0 end
  reply[#reply + 1] = admitted and 1 or 0
  reply[#reply + 1] = a
  reply[#reply + 1] = b
end
if reply[2] == 0 then return reply end

for i = 1, #KEYS do
  local at = 1 + (i - 1) * 4
  local window, cost = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  if ARGV[at + 1] == 'window' then
    -- The key expires when its current window stops counting; until then a charge happens at
    -- most one window later, so the field two windows back is the only stale one. Both need
    -- doing once per window: on its first charge, when the new count is just this cost.
    local index = math.floor(now / window)
    if redis.call('HINCRBY', KEYS[i], int(index), cost) == cost then
      redis.call('HDEL', KEYS[i], int(index - 2))
      redis.call('PEXPIREAT', KEYS[i], int((index + 2) * window))
    end
  else
    local batch = {}
    for unit = 1, cost do
      batch[#batch + 1] = int(now)
      batch[#batch + 1] = int(now) .. ':' .. ARGV[1] .. ':' .. unit
      if #batch >= 200 or unit == cost then
        redis.call('ZADD', KEYS[i], unpack(batch))
        batch = {}
      end
    end
    redis.call('PEXPIRE', KEYS[i], int(window))
  end
end
return reply
`;

const SLOTS = 16_384;

// CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum the Redis Cluster
// specification maps keys to slots with; one table entry per byte value.
const TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

/** CRC16-XMODEM of some bytes; `crc16(utf8('123456789'))` is `0x31c3`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[(crc >> 8) ^ byte] ?? 0);
  return crc;
}

/**
 * The Redis Cluster hash slot of a key: the CRC16 of its hash tag (what lies between the first
 * `{` and the first `}` after it, when that is not empty), else of the whole key, modulo 16384.
 */
export function hashSlot(key: string): number {
  let bytes = new TextEncoder().encode(key);
  const open = bytes.indexOf(0x7b);
  const close = open === -1 ? -1 : bytes.indexOf(0x7d, open + 1);
  if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  return crc16(bytes) % SLOTS;
}

/**
 * Groups checks by the hash slot of their counters, keeping the order of the checks within each
 * group. The store's prefix holds no braces, so a counter's slot is that of `{<key>}`.
 */
export function groupBySlot<C extends Pick<LimitCheck, 'key'>>(
  checks: readonly C[],
): Map<number, C[]> {
  const groups = new Map<number, C[]>();
  for (const check of checks) {
    const slot = hashSlot(`{${check.key}}`);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [check]);
    else group.push(check);
  }
  return groups;
}
