"""The Lua scripts of the shared budget (each runs atomically inside Redis).

Keys of one budget (``<prefix>:{<name>}:…``; the braces keep them in one cluster slot):

- ``window``  sorted set: one member per grant, scored by Redis time in ms (the sliding log);
- ``waiters`` sorted set: requests waiting, scored by priority; members start with their
  arrival time, so one priority is served first come, first served;
- ``seen``    sorted set: when each waiter last asked (a waiter that stops asking — its
  process died — is forgotten after ``stale`` ms);
- ``pause``   string with a TTL: a 429 paused the connection until it expires;
- ``credit``  integer with a TTL: requests left until the helpdesk's window resets;
- ``hlimit``  integer with a TTL: the helpdesk's own limit (margin applied).

ACQUIRE returns ``{granted, wait_ms, used, limit, now_ms}`` — ``wait_ms``: when asking again
makes sense; ``limit`` -1: none.
"""

from __future__ import annotations

ACQUIRE = """
local window_key, waiters, seen, pause_key, credit_key, hlimit_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id = ARGV[1]
local priority = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local stale = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local dead = redis.call('ZRANGEBYSCORE', seen, '-inf', now - stale, 'LIMIT', 0, 100)
for _, member in ipairs(dead) do
  redis.call('ZREM', waiters, member)
  redis.call('ZREM', seen, member)
end
redis.call('ZADD', waiters, 'NX', priority, id)
redis.call('ZADD', seen, now, id)
redis.call('PEXPIRE', waiters, stale * 2)
redis.call('PEXPIRE', seen, stale * 2)

local paused = redis.call('PTTL', pause_key)
if paused > 0 then
  return {0, paused, -1, limit, now}
end

redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - window)
local used = redis.call('ZCARD', window_key)
local hlimit = tonumber(redis.call('GET', hlimit_key) or '-1')
if hlimit >= 0 and (limit < 0 or hlimit < limit) then
  limit = hlimit
end
local free = -1
if limit >= 0 then
  free = limit - used
end
local credit = redis.call('GET', credit_key)
if credit then
  credit = tonumber(credit)
  if free < 0 or credit < free then
    free = credit
  end
end

local rank = redis.call('ZRANK', waiters, id)
if free < 0 or rank < free then
  redis.call('ZREM', waiters, id)
  redis.call('ZREM', seen, id)
  redis.call('ZADD', window_key, now, id)
  redis.call('PEXPIRE', window_key, window + 1000)
  if credit then
    redis.call('DECR', credit_key)
  end
  return {1, 0, used + 1, limit, now}
end

local wait = 0
if credit and credit <= rank then
  wait = redis.call('PTTL', credit_key)
elseif limit >= 0 and used - limit + rank >= 0 then
  local index = used - limit + rank
  if index < used then
    local entry = redis.call('ZRANGE', window_key, index, index, 'WITHSCORES')
    wait = tonumber(entry[2]) + window - now
  else
    wait = window
  end
end
return {0, wait, used, limit, now}
"""

LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

LEARN = """
local pause_key, credit_key, hlimit_key = KEYS[1], KEYS[2], KEYS[3]
local pause_ms = tonumber(ARGV[1])
local credit = tonumber(ARGV[2])
local credit_ms = tonumber(ARGV[3])
local hlimit = tonumber(ARGV[4])
local hlimit_ms = tonumber(ARGV[5])
if pause_ms > 0 and redis.call('PTTL', pause_key) < pause_ms then
  redis.call('SET', pause_key, '1', 'PX', pause_ms)
end
if credit >= 0 and credit_ms > 0 then
  redis.call('SET', credit_key, credit, 'PX', credit_ms)
end
if hlimit >= 0 then
  redis.call('SET', hlimit_key, hlimit, 'PX', hlimit_ms)
end
return 1
"""
