-- Starts an instance if the profile may enter: one active instance per profile and journey, and the re-entry
-- rule against the profile's history in this journey. KEYS: active hash, history hash, the instance hash, the
-- profile's instance set, the profile's goal watches. ARGV: profile id, instance id, rule ('never',
-- 'after_exit' or 'after'), after (ms), now (ms), goal watch JSON ('' for none), how long the goal is watched
-- (ms: the profile's watches go when the longest has passed), then the instance's fields as name, value pairs.
-- Returns 1 when it started, 0 when the profile may not enter now.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last then
  if ARGV[3] == 'never' then return 0 end
  if ARGV[3] == 'after' and tonumber(ARGV[5]) - tonumber(last) < tonumber(ARGV[4]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('SADD', KEYS[4], ARGV[2])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[2], ARGV[6])
  if redis.call('PTTL', KEYS[5]) < tonumber(ARGV[7]) then redis.call('PEXPIRE', KEYS[5], ARGV[7]) end
end
redis.call('HSET', KEYS[3], unpack(ARGV, 8))
return 1
