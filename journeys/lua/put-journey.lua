-- Stores a journey's definition as its next version, atomically: unchanged from the current version, nothing
-- is written. KEYS: head hash, versions hash, set of ids, change counter. ARGV: id, definition JSON, name,
-- now (ISO), by, mode ('put' or 'create': create refuses an existing id).
-- Returns {version, created (1/0), changed (1/0)}; {0, 0, 0} when `create` finds the id taken.
local current = redis.call('HGET', KEYS[1], 'version')
if current and ARGV[6] == 'create' then return {0, 0, 0} end
if current and redis.call('HGET', KEYS[2], current) == ARGV[2] then return {tonumber(current), 0, 0} end
local version = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[2], tostring(version), ARGV[2])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[3], 'version', tostring(version), 'updated_at', ARGV[4], 'updated_by', ARGV[5])
if not current then redis.call('HSET', KEYS[1], 'created_at', ARGV[4], 'created_by', ARGV[5], 'paused', '') end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('INCR', KEYS[4])
if current then return {version, 0, 1} end
return {version, 1, 1}
