"""The Lua scripts of the Redis limiter: every change of its state is one of them, atomic."""

from __future__ import annotations

# Times are Redis's own (TIME, in ms), so the clocks of the fleet's machines do not matter.
NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

ACQUIRE = (
    NOW
    + """
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > now and pause > tonumber(ARGV[3]) then
  return {0, pause, now}
end
local wanted = #ARGV - 3
local cap = tonumber(ARGV[1])
if cap == 0 then
  return {wanted, 0, now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local granted = math.min(cap - redis.call('ZCARD', KEYS[1]), wanted)
if granted <= 0 then
  return {0, 0, now}
end
for i = 4, 3 + granted do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i])
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return {granted, 0, now}
"""
)
"""KEYS: slots (sorted set of lease id -> expiry), pause. ARGV: cap (0: none), lease ms, the
pause end the caller already waited out, then one lease id per slot wanted (the asker's and
those of the requests queued behind it in this process). Grants the first ones the cap has
room for. Returns {slots granted, pause end, now}."""

RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], 1)
  redis.call('LTRIM', KEYS[2], 0, 63)
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
else
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]))
end
return 0
"""
"""KEYS: slots, wake-up list, given back while lost. ARGV: lease id, lease ms. One wake-up per
freed slot; a lease Redis no longer had (lost in a restart, or expired) is noted as given back,
so that a renewal running at the same moment does not put it back."""

RENEW = (
    NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cap = tonumber(ARGV[2])
local renewed = 0
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
    renewed = renewed + 1
  elseif redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0
      and redis.call('ZCARD', KEYS[1]) < cap then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
    renewed = renewed + 1
  end
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
end
return renewed
"""
)
"""KEYS: slots, given back while lost. ARGV: lease ms, cap, then the lease ids this process
still holds. A lease Redis lost (a restart without persistence) is put back while the cap has
room, so the requests in flight count again and newcomers cannot overshoot the cap."""

PAUSE = (
    NOW
    + """
local untill = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= untill then
  return current
end
redis.call('SET', KEYS[1], untill, 'PX', tonumber(ARGV[1]))
return untill
"""
)
"""KEYS: pause. ARGV: pause ms. Returns the pause's end (a longer pause already set stays)."""
