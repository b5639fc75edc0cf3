/**
 * The Lua scripts of RedisHistoryStore (key layout and the reasons for each step: redis-history-store.ts).
 * Channel scripts take the channel's five keys (epoch, top, log, ids, meta), which share one hash tag; the
 * index script takes only the index key. Each runs atomically on the Redis server.
 */

/**
 * Drops entries from the head of the log while the channel has more than `max` of them, the head expired
 * (stored at or before the cutoff) or the log's bytes exceed `maxBytes`; keeps `meta.bytes` in step; then
 * drops the publish ids of the dropped entries. Reads the head in small batches: appends usually drop one.
 */
const PRUNE = `
local function prune(log, ids, meta, cutoff, max, maxBytes)
  if redis.call('EXISTS', log) == 0 then
    redis.call('DEL', ids)
    if redis.call('HEXISTS', meta, 'bytes') == 1 then redis.call('HSET', meta, 'bytes', 0) end
    return
  end
  local count = redis.call('ZCARD', log)
  local bytes = tonumber(redis.call('HGET', meta, 'bytes') or '0')
  local drop = 0
  local batch = 4
  local done = false
  while not done do
    local head = redis.call('ZRANGE', log, drop, drop + batch - 1)
    if #head == 0 then break end
    for _, member in ipairs(head) do
      local storedAt = tonumber(string.match(member, '^%d+:(%-?%d+):'))
      if count - drop <= max and storedAt > cutoff and bytes <= maxBytes then
        done = true
        break
      end
      drop = drop + 1
      bytes = bytes - #member
    end
    batch = 64
  end
  if drop > 0 then
    redis.call('ZREMRANGEBYRANK', log, 0, drop - 1)
    -- entries written before the byte count existed make it drift below zero; nothing kept means 0 bytes
    if drop == count or bytes < 0 then bytes = 0 end
    redis.call('HSET', meta, 'bytes', bytes)
  end
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  if #oldest == 0 then
    redis.call('DEL', ids)
  else
    redis.call('ZREMRANGEBYSCORE', ids, '-inf', '(' .. oldest[2])
  end
end
`;

/**
 * KEYS: epoch, top, log, ids, meta. ARGV: newEpoch ('' while the channel has one: {-1, ''} is returned when
 * it has none, and the caller retries with a new epoch), nowMs, cutoffMs, maxPerChannel, ttlMs, publication
 * bytes, publish id ('' for none), maxChannelBytes, index score. Returns {offset, epoch}: the new offset,
 * or the kept one of a known publish id.
 */
export const APPEND = `${PRUNE}
if ARGV[1] == '' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
elseif redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  -- a new epoch starts a new history, whatever an earlier one left behind
  redis.call('SET', KEYS[2], 0)
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
end
local epoch = redis.call('GET', KEYS[1])
local cutoff = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local maxBytes = tonumber(ARGV[8])
prune(KEYS[3], KEYS[4], KEYS[5], cutoff, max, maxBytes)
if ARGV[7] ~= '' then
  local known = redis.call('ZSCORE', KEYS[4], ARGV[7])
  if known then return {tonumber(known), epoch} end
end
local offset = redis.call('INCR', KEYS[2])
local member = offset .. ':' .. ARGV[2] .. ':' .. ARGV[6]
redis.call('ZADD', KEYS[3], offset, member)
redis.call('HINCRBY', KEYS[5], 'bytes', #member)
redis.call('HSET', KEYS[5], 'score', ARGV[9])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[4], offset, ARGV[7]) end
prune(KEYS[3], KEYS[4], KEYS[5], cutoff, max, maxBytes)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return {offset, epoch}
`;

/**
 * KEYS: epoch, top, log, ids, meta. ARGV: cutoffMs, maxPerChannel, maxChannelBytes, mode, a, b.
 * mode 'since' (a = offset, b = limit or -1 for all): entries after a; 'latest' (a = limit, b = beforeOffset
 * or 0): the newest a entries below b, newest first; anything else: none.
 * Returns {epoch, top, oldest kept offset, entries}.
 */
export const READ = `${PRUNE}
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {'', 0, 1, {}} end
prune(KEYS[3], KEYS[4], KEYS[5], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
local head = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
local oldest = top + 1
if #head > 0 then oldest = tonumber(head[2]) end
local entries = {}
if ARGV[4] == 'since' then
  entries = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[5], '+inf', 'LIMIT', 0, tonumber(ARGV[6]))
elseif ARGV[4] == 'latest' then
  local below = '+inf'
  if tonumber(ARGV[6]) > 0 then below = '(' .. ARGV[6] end
  entries = redis.call('ZREVRANGEBYSCORE', KEYS[3], below, '-inf', 'LIMIT', 0, tonumber(ARGV[5]))
end
return {epoch, top, oldest, entries}
`;

/**
 * KEYS: epoch, top, log, ids, meta. ARGV: newEpoch, index score. Gives a channel without an epoch one (top
 * 0, nothing left of an earlier history). Returns {created 1|0, epoch, top}.
 */
export const OPEN = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('SET', KEYS[2], 0)
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  redis.call('HSET', KEYS[5], 'score', ARGV[2], 'bytes', 0)
  return {1, ARGV[1], 0}
end
return {0, redis.call('GET', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}
`;

/**
 * KEYS: index. ARGV: channel, score, maxChannels. Records the channel's score; returns the other channels
 * (and scores) popped because the index holds more than maxChannels, lowest score first. The channel itself
 * is never popped, even when its score is the lowest (a newly opened channel among published ones).
 */
export const INDEX = `
redis.call('ZREM', KEYS[1], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) + 1 - tonumber(ARGV[3])
local popped = {}
if excess > 0 then popped = redis.call('ZPOPMIN', KEYS[1], excess) end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return popped
`;

/**
 * KEYS: epoch, top, log, ids, meta. ARGV: the score the channel was popped with. Deletes the channel unless
 * it was touched with a newer score since (it is back in the index then). Returns the keys deleted.
 */
export const EVICT = `
local score = redis.call('HGET', KEYS[5], 'score')
if score and tonumber(score) > tonumber(ARGV[1]) then return 0 end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
`;
