-- Moves an instance from the step it is at to the next, if it is still there (a wait_for's event and its
-- timeout race; a retried step finds it moved). KEYS: the instance hash. ARGV: expected position
-- ('step:visit'), next step, the next step's visit, the event the next step waits for ('' for none), when the
-- next step is due (epoch ms: a step found moved but not queued is queued again for then).
-- Returns 1 when moved, 0 when the instance is gone or elsewhere.
if redis.call('HGET', KEYS[1], 'at') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v:' .. ARGV[2], ARGV[3], 'at', ARGV[2] .. ':' .. ARGV[3], 'waiting', ARGV[4], 'due', ARGV[5])
return 1
