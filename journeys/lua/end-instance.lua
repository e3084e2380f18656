-- Ends an instance (exit step, exit_on, a deleted journey): it stops being the profile's active one, and the
-- profile's history says when it left. KEYS: the instance hash, active hash, history hash, the profile's
-- instance set. ARGV: profile id, instance id, expected position ('' for wherever it is), now (ms).
-- Returns 1 when it ended it, 0 when it was gone or elsewhere.
local at = redis.call('HGET', KEYS[1], 'at')
if not at then return 0 end
if ARGV[3] ~= '' and at ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
end
redis.call('SREM', KEYS[4], ARGV[2])
return 1
