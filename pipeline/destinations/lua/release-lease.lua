-- Gives up the lease on delivering an event destination, if this holder still has it (a stopping process, so
-- that the next one takes over at once rather than after the lease runs out).
-- KEYS[1]: the lease (name from pipeline/redis/key-names.ts). ARGV[1]: this holder's token. Returns 1 when released.
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
