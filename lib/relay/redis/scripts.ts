/*
 * The Lua scripts of `RedisChunkLog`: each reads and writes one stream's two keys at once, so two
 * processes never write the same event (the stream ids are explicit, `0-<sequence + 1>`, and XADD
 * refuses an id that is not past the last one), and every time comes from the Redis server's own
 * clock (`TIME`), so the relays' clocks need not agree.
 *
 * KEYS[1] is the stream (the events: fields `k` kind, `d` data), KEYS[2] the hash of its state
 * (`next` sequence, `end` when finished, `hb` last heartbeat in ms, `cancel`, `ttl`).
 * @internal
 */

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: ttl. Returns 1, or 0 when the id is taken. */
export const CREATE = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'next', 0, 'hb', now, 'ttl', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

/**
 * ARGV: maxlen, first sequence, then kind and data of each event. Returns the next sequence, -1 for
 * no such stream, -2 when it has ended, -3 when the first sequence is not the next one. A write is
 * the producer's heartbeat too (`hb`).
 */
export const APPEND = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local state = redis.call('HMGET', KEYS[2], 'next', 'end', 'ttl')
if state[2] then return -2 end
local next = tonumber(state[1])
if tonumber(ARGV[2]) ~= next then return -3 end
local ended = false
for i = 3, #ARGV, 2 do
  next = next + 1
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '0-' .. next, 'k', ARGV[i], 'd', ARGV[i + 1])
  if ARGV[i] ~= 'chunk' then ended = true end
end
redis.call('HSET', KEYS[2], 'next', next, 'hb', now)
if ended then redis.call('HSET', KEYS[2], 'end', 1) end
redis.call('PEXPIRE', KEYS[2], state[3])
redis.call('PEXPIRE', KEYS[1], state[3])
return next`;

/** Returns 1 when a cancel was asked for, 0 when not, -1 for no such stream. */
export const HEARTBEAT = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('HSET', KEYS[2], 'hb', now)
local ttl = redis.call('HGET', KEYS[2], 'ttl')
redis.call('PEXPIRE', KEYS[2], ttl)
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ttl) end
if redis.call('HGET', KEYS[2], 'cancel') then return 1 end
return 0`;

/** Returns 1, or 0 for no such stream. */
export const CANCEL = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'cancel', 1)
return 1`;

/**
 * ARGV: timeout, data of the producer-lost event. When the stream has not ended and its last
 * heartbeat is older than the timeout, appends that event (as the end). Returns 1 when it did.
 */
export const EXPIRE_PRODUCER = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local state = redis.call('HMGET', KEYS[2], 'next', 'end', 'hb', 'ttl')
if state[2] then return 0 end
if now - tonumber(state[3]) <= tonumber(ARGV[1]) then return 0 end
local next = tonumber(state[1]) + 1
redis.call('XADD', KEYS[1], '0-' .. next, 'k', 'error', 'd', ARGV[2])
redis.call('HSET', KEYS[2], 'next', next, 'end', 1)
redis.call('PEXPIRE', KEYS[2], state[4])
redis.call('PEXPIRE', KEYS[1], state[4])
return 1`;
