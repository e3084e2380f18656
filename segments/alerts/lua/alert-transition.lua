-- An alert's evaluation of one minute, applied to its live state once: a later or repeated evaluation of a
-- minute already evaluated changes nothing, so two schedulers, or a retried job, never move it twice.
-- KEYS[1]: the alert's state hash; KEYS[2]: its webhook secret, there while the alert exists (an alert deleted
-- while its minute was being evaluated is not given a state again).
-- ARGV: minute (epoch ms, the end of the minute evaluated), version, value ('' for none),
--       fires ('1': the condition to fire holds), holds ('1': the condition holds now, '0': it does not,
--       '': unknown, the state stays).
-- Returns {applied (1/0), state, previous_state, change_at (ms, '' without a change yet)}.
local minute = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return {0, 'ok', '', ''} end
local h = redis.call('HGETALL', KEYS[1])
local s = {}
for i = 1, #h, 2 do s[h[i]] = h[i + 1] end
local state = s.state or 'ok'
if s.evaluated_at and tonumber(s.evaluated_at) >= minute then
  return {0, state, s.previous_state or '', s.change_at or ''}
end
redis.call('HSET', KEYS[1], 'evaluated_at', ARGV[1], 'version', ARGV[2], 'value', ARGV[3])
if not s.state then redis.call('HSET', KEYS[1], 'state', 'ok') end
local next = state
if ARGV[5] ~= '' then
  if state == 'firing' and ARGV[5] == '0' then next = 'resolved' end
  if state ~= 'firing' and ARGV[4] == '1' then next = 'firing' end
end
if next ~= state then
  redis.call('HSET', KEYS[1], 'state', next, 'previous_state', state, 'since', ARGV[1], 'change_at', ARGV[1])
  return {1, next, state, ARGV[1]}
end
return {1, state, s.previous_state or '', s.change_at or ''}
