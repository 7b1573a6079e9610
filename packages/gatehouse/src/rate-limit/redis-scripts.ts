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
 * Counts of a sliding-window counter stay below this bound, so that one integer holds both of
 * them: `limit` must be less (see `WINDOW_LIMIT_MAX` in `checks.ts`).
 */
export const WINDOW_COUNT_BOUND = 2 ** 25;

/** Rules one script call may carry; a check's argument packs its rule below this. */
export const RULES_PER_CALL = 1024;

/**
 * Decides the checks of any number of requests, in order, in one atomic run: what one request is
 * charged, the next one sees. Queued requests share a call; each request is still decided and
 * charged as a whole.
 *
 * KEYS: the counter of every check, request after request, in order. A sliding-window counter is
 * one integer, `(current × 2^25 + previous) × 4 + index mod 4`: the counts of the window it was
 * last written in and of the one before, and that window's index modulo 4. It expires at the end
 * of the next window, when its counts stop counting, so a live counter was written in the current
 * window or the previous one (or, after the server's clock stepped back, the next one: its counts
 * are then kept as they are, so no quota is handed out), and two bits tell which. A sliding log is
 * a sorted set of units scored by time.
 *
 * ARGV: a nonce unique to the call; the number of rules, then four values per rule: `w` (window)
 * or `l` (log), limit, window in milliseconds, cost; then the requests, as one JSON array of
 * numbers (one argument, which Redis parses and hands to Lua far faster than one per number):
 * per request its number of checks and, per check, `rule + 1024 × first`, the position of its
 * rule and, for a window counter already checked earlier in the call, the position of that first
 * check (else 0). A repeated counter is read once; the later check sees what the earlier ones
 * charged.
 *
 * Reads the server clock once (`TIME`) and every counter with one `MGET`. Replies `now`, then per
 * request 1 if every check admitted it (and it was charged), else 0, and per check: for a window
 * one number, `current × 2^25 + previous` (the counts before this request); for a log two, the
 * live units and the score of the unit `releaseRank` in `log.ts` picks (-1 for an empty log).
 * Each charged window counter is written once at the end: `INCRBY` when it already holds the
 * current window, else `SET … PXAT` (Redis 6.2 or later) with its expiry.
 *
 * The admission rule mirrors `slidingWindowVerdict` and `slidingLogVerdict`; the store recomputes
 * every verdict from the reply with those functions and treats a disagreement as a fault. Numbers
 * stay below 2^53, where Lua's doubles are exact: counts are below 2^25, and `limit × window` is
 * bounded.
 */
export const CHECK_LIMITS = `
local floor, tonumber, KEYS, ARGV, call = math.floor, tonumber, KEYS, ARGV, redis.call
local clock = call('TIME')
local now = tonumber(clock[1]) * 1000 + floor(tonumber(clock[2]) / 1000)
local rules = tonumber(ARGV[2])
local B = ${WINDOW_COUNT_BOUND}

local log, limit, span, cost, index, left, step = {}, {}, {}, {}, {}, {}, {}
for r = 1, rules do
  local at = 4 * r - 1
  log[r] = ARGV[at] == 'l'
  limit[r], span[r], cost[r] = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  if not log[r] then
    index[r] = floor(now / span[r])
    left[r] = span[r] - (now - index[r] * span[r])
    step[r] = string.format('%d', cost[r] * 4 * B)
  end
end

local stored = call('MGET', unpack(KEYS))
-- Lua 5.1 cannot size a table up front; copies of KEYS hold a slot per check, so filling them
-- never grows them. Strings become numbers by arithmetic, which costs less than calling tonumber.
local cur, prev, written, same = {unpack(KEYS)}, {unpack(KEYS)}, {unpack(KEYS)}, {unpack(KEYS)}
local ruleAt, ref, base = {unpack(KEYS)}, {unpack(KEYS)}, {unpack(KEYS)}
local reply, n = { now }, 1
local layout = cjson.decode(ARGV[3 + 4 * rules])
local pos, i, argc = 1, 0, #layout
while pos <= argc do
  local count = layout[pos]
  local head = n + 1
  local at = head
  local all = 1
  for j = 1, count do
    local c = i + j
    local x = layout[pos + j]
    local r = x % ${RULES_PER_CALL}
    ruleAt[c] = r
    local a, b
    if log[r] then
      local key = KEYS[c]
      call('ZREMRANGEBYSCORE', key, '-inf', now - span[r])
      a, b = call('ZCARD', key), -1
      local rank = a
      if a + cost[r] > limit[r] then
        all = 0
        if cost[r] <= limit[r] then rank = a + cost[r] - limit[r] end
      end
      if rank > 0 then
        b = tonumber(call('ZRANGE', key, rank - 1, rank - 1, 'WITHSCORES')[2])
      end
    else
      local f = (x - r) / ${RULES_PER_CALL}
      if f == 0 then
        f = c
        written[c] = index[r]
        local v = stored[c]
        if v then
          v = v + 0
          local tag = v % 4
          v = (v - tag) / 4
          local p = v % B
          local q = (v - p) / B
          local age = (index[r] - tag) % 4
          if age == 0 then cur[c], prev[c], same[c] = q, p, true
          elseif age == 1 then cur[c], prev[c], same[c] = 0, q, false
          elseif age == 3 then cur[c], prev[c], written[c], same[c] = q, p, index[r] + 1, true
          else cur[c], prev[c], same[c] = 0, 0, false end
        else
          cur[c], prev[c], same[c] = 0, 0, false
        end
        base[c] = cur[c]
      end
      ref[c] = f
      a, b = cur[f], prev[f]
      local weighted = b * left[r]
      local rest = weighted % span[r]
      local share = (weighted - rest) / span[r]
      if rest > 0 then share = share + 1 end
      if a + share + cost[r] > limit[r] then all = 0 end
    end
    if log[r] then
      reply[at + 1], reply[at + 2] = a, b
      at = at + 2
    else
      reply[at + 1] = a * B + b
      at = at + 1
    end
  end
  reply[head] = all
  n = at

  if all == 1 then
    for j = 1, count do
      local c = i + j
      local r = ruleAt[c]
      if log[r] then
        local key, batch = KEYS[c], {}
        for unit = 1, cost[r] do
          batch[#batch + 1] = now
          batch[#batch + 1] = now .. ':' .. ARGV[1] .. ':' .. c .. ':' .. unit
          if #batch >= 200 or unit == cost[r] then
            call('ZADD', key, unpack(batch))
            batch = {}
          end
        end
        call('PEXPIRE', key, span[r])
      else
        local f = ref[c]
        cur[f] = cur[f] + cost[r]
      end
    end
  end
  pos = pos + 1 + count
  i = i + count
end

-- Only a window counter's first check holds numbers in cur and base; every other position still
-- holds its key in both, so it compares equal and is skipped.
for f = 1, #KEYS do
  if cur[f] ~= base[f] then
    local r = ruleAt[f]
    local added = cur[f] - base[f]
    if same[f] and added == cost[r] then
      call('INCRBY', KEYS[f], step[r])
    elseif same[f] then
      call('INCRBY', KEYS[f], string.format('%d', added * B * 4))
    else
      local w = written[f]
      local v = (cur[f] * B + prev[f]) * 4 + w % 4
      call('SET', KEYS[f], string.format('%d', v), 'PXAT', string.format('%d', (w + 2) * span[r]))
    end
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
