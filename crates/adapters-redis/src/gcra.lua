-- GCRA, as in tenantry_ports::ratelimit: one request counted under KEYS[1].
-- ARGV[1] = T, the emission interval in microseconds (>= 1); ARGV[2] = the burst (>= 1).
-- Returns {allowed (0/1), remaining, reset_after µs, retry_after µs (0 when allowed)}.
--
-- The time is the server's (TIME), so every instance on this Redis agrees. The TAT is
-- kept in µs since the epoch. Lua numbers are doubles: integers are exact up to 2^53
-- (about 9.0e15 µs, i.e. the year 2255), so the TAT and every sum below are exact.
-- The SET after TIME needs effects replication (the default since Redis 5).
if redis.replicate_commands then redis.replicate_commands() end
local t = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tau = t * burst
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
if tat + t - tau <= now then
  local new_tat = tat + t
  local reset = new_tat - now
  -- The key vanishes when the bucket is full again. '%d' keeps every digit
  -- (tostring would write 1.7e+15).
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', string.format('%d', math.ceil(reset / 1000)))
  return {1, math.floor((now - (new_tat - tau)) / t), reset, 0}
end
return {0, 0, tat - now, tat + t - tau - now}
