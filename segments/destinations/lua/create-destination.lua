-- Creates a destination unless its id is taken, in one step: two creations of one id cannot both succeed.
-- KEYS[1]: the destination's hash; KEYS[2]: the set of every destination; KEYS[3]: the set of its kind (its
-- segment's destinations, or the event destinations) (names from pipeline/redis/key-names.ts).
-- ARGV[1]: the destination's id; ARGV[2..]: its field/value pairs. Returns 1 when created, 0 when the id is taken.
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], unpack(ARGV, 2))
redis.call('sadd', KEYS[2], ARGV[1])
redis.call('sadd', KEYS[3], ARGV[1])
return 1
