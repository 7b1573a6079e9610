/**
 * The Lua script of the Redis rate-limit store, and the hash-slot arithmetic that groups a
 * request's keys for Redis Cluster.
 *
 * Every counter key carries its client key as a hash tag, `<prefix>{<key>}:<policy>:w<seconds>`
 * (a sliding-window counter, one integer per window under `…:w<seconds>:<window index>`) or
 * `<prefix>{<key>}:<policy>:log` (a sliding log), so all the counters of one client share a slot
 * whatever the policy. The window's length is in the name so that a policy configured with
 * another window starts afresh instead of misreading the counts.
 * @module
 */
import type { LimitCheck } from './types.js';

/**
 * Decides the checks of any number of requests, in order, in one atomic run: what one request is
 * charged, the next one sees. Queued requests share a call; each request is still decided and
 * charged as a whole.
 *
 * KEYS: every distinct counter of the call, the sliding-window counters first. A sliding window
 * keeps one integer per window, under its key followed by `:<window index>`; the script derives
 * those names, which share the key's hash tag and so its slot. A sliding log is a sorted set of
 * units scored by time, under the key itself.
 *
 * ARGV: a nonce unique to the call; the number of window counters in KEYS; the number of rules,
 * then four values per rule: `w` (window) or `l` (log), limit, window in milliseconds, cost; then
 * for each window counter the position of a rule it is checked by (for its window's length); then
 * per request its number of checks and, per check, the positions of its counter and of its rule.
 *
 * Reads the server clock once (`TIME`) and the current and previous window of every window
 * counter with one `MGET`. Replies `now`, then per request 1 if every check admitted it (and it
 * was charged), else 0, and per check two numbers: for a window the current and previous counts,
 * for a log the live units and the score of the unit `releaseRank` in `log.ts` picks (-1 for an
 * empty log). Each charged window is incremented once at the end, and given its expiry (the end
 * of the next window, when it stops counting) when the increment created it.
 *
 * The admission rule mirrors `slidingWindowVerdict` and `slidingLogVerdict`; the store recomputes
 * every verdict from the reply with those functions and treats a disagreement as a fault. Numbers
 * stay below 2^53, where Lua's doubles are exact, because `limit × window` is bounded.
 */
export const CHECK_LIMITS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local windows, rules = tonumber(ARGV[2]), tonumber(ARGV[3])

local log, limit, span, cost, index, left, label, before = {}, {}, {}, {}, {}, {}, {}, {}
for r = 1, rules do
  local at = 4 * r
  log[r] = ARGV[at] == 'l'
  limit[r], span[r], cost[r] = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  if not log[r] then
    index[r] = math.floor(now / span[r])
    left[r] = span[r] - (now - index[r] * span[r])
    label[r] = ':' .. string.format('%d', index[r])
    before[r] = ':' .. string.format('%d', index[r] - 1)
  end
end

local ruleOf, names, cur, prev = {}, {}, {}, {}
local pos = 4 + 4 * rules
if windows > 0 then
  for k = 1, windows do
    local r = tonumber(ARGV[pos + k - 1])
    ruleOf[k] = r
    names[2 * k - 1] = KEYS[k] .. label[r]
    names[2 * k] = KEYS[k] .. before[r]
  end
  local stored = redis.call('MGET', unpack(names))
  for k = 1, windows do
    cur[k] = tonumber(stored[2 * k - 1]) or 0
    prev[k] = tonumber(stored[2 * k]) or 0
  end
end
pos = pos + windows

local added = {}
local reply = { now }
local argc = #ARGV
while pos <= argc do
  local count = tonumber(ARGV[pos])
  local head = #reply + 1
  local all = 1
  for j = 1, count do
    local k, r = tonumber(ARGV[pos + 2 * j - 1]), tonumber(ARGV[pos + 2 * j])
    local a, b
    if log[r] then
      redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now - span[r])
      a, b = redis.call('ZCARD', KEYS[k]), -1
      local rank = a
      if a + cost[r] > limit[r] then
        all = 0
        if cost[r] <= limit[r] then rank = a + cost[r] - limit[r] end
      end
      if rank > 0 then
        b = tonumber(redis.call('ZRANGE', KEYS[k], rank - 1, rank - 1, 'WITHSCORES')[2])
      end
    else
      a, b = cur[k], prev[k]
      local weighted = b * left[r]
      local share = math.floor(weighted / span[r])
      if share * span[r] < weighted then share = share + 1 end
      if a + share + cost[r] > limit[r] then all = 0 end
    end
    reply[head + 2 * j - 1] = a
    reply[head + 2 * j] = b
  end
  reply[head] = all

  if all == 1 then
    for j = 1, count do
      local k, r = tonumber(ARGV[pos + 2 * j - 1]), tonumber(ARGV[pos + 2 * j])
      if log[r] then
        local batch = {}
        for unit = 1, cost[r] do
          batch[#batch + 1] = now
          batch[#batch + 1] = now .. ':' .. ARGV[1] .. ':' .. pos .. ':' .. j .. ':' .. unit
          if #batch >= 200 or unit == cost[r] then
            redis.call('ZADD', KEYS[k], unpack(batch))
            batch = {}
          end
        end
        redis.call('PEXPIRE', KEYS[k], span[r])
      else
        cur[k] = cur[k] + cost[r]
        added[k] = (added[k] or 0) + cost[r]
      end
    end
  end
  pos = pos + 1 + 2 * count
end

for k, n in pairs(added) do
  if redis.call('INCRBY', names[2 * k - 1], n) == n then
    local r = ruleOf[k]
    redis.call('PEXPIREAT', names[2 * k - 1], (index[r] + 2) * span[r])
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
