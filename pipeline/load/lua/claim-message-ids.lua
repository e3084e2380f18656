-- Claims message ids for the load jobs that carry them, for the dedupe window.
-- KEYS: one dedupe key per message (source + messageId hashed). ARGV[1]: window in seconds;
-- ARGV[1 + i]: the load job that carries KEYS[i].
-- Returns, per key, 1 when another job already claimed it within the window (a duplicate), else 0.
-- A key held by the same job is not a duplicate: that job is being retried and must load its rows.
local ttl = tonumber(ARGV[1])
local result = {}
for i, key in ipairs(KEYS) do
  local owner = ARGV[i + 1]
  if redis.call('SET', key, owner, 'NX', 'EX', ttl) then
    result[i] = 0
  elseif redis.call('GET', key) == owner then
    result[i] = 0
  else
    result[i] = 1
  end
end
return result
