-- Takes or keeps the lease on delivering one event destination: one process at a time sends its batches, so
-- they go out in order, one in flight.
-- KEYS[1]: the lease (name from pipeline/redis/key-names.ts). ARGV[1]: this holder's token; ARGV[2]: the lease
-- in ms. Returns 1 when this holder has the lease (taken now, or kept and extended), else 0.
local holder = redis.call('get', KEYS[1])
if holder == false then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0
