-- Sets fields of a destination only while it still exists: a delivery finishing after a DELETE must not leave
-- a half destination behind.
-- KEYS[1]: the destination's hash (name from pipeline/redis/key-names.ts).
-- ARGV[1]: 'max' to raise ARGV[2] to the number ARGV[3] (never lower it), or 'set' to set the field/value
-- pairs ARGV[2..]. Returns 1 when the destination exists, else 0.
if redis.call('exists', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'max' then
  local cur = tonumber(redis.call('hget', KEYS[1], ARGV[2]) or '0')
  if tonumber(ARGV[3]) > cur then redis.call('hset', KEYS[1], ARGV[2], ARGV[3]) end
else
  redis.call('hset', KEYS[1], unpack(ARGV, 2))
end
return 1
