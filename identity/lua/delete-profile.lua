-- Removes a profile from the live identity graph and suppresses its identifiers, atomically: from the
-- moment this returns, events carrying any of them are dropped by resolve-identities.lua.
-- The suppression set holds keyed hashes that only Node can compute (the key never reaches Redis), so
-- Node reads the profile's identifiers first and passes each with its hash. When the profile gained an
-- identifier in between (an event resolved meanwhile), nothing is done and the missing ones are returned
-- for Node to hash and call again.
-- ARGV[1]: profile id; ARGV[2]: key prefix; ARGV[3..]: pairs "type\x1fvalue", its keyed hash (the
-- profile's live identifiers, and those ClickHouse knows for it in case the live graph lost some).
-- Returns { 1, identifiers ("type\x1fvalue"), profiles merged into it }, or { 0, identifiers not given }.
local pid, P = ARGV[1], ARGV[2]
local IDX = P .. ':id:idx'
local idsKey = P .. ':id:p:' .. pid
local mergedKey = P .. ':id:m:' .. pid

local given, members = {}, {}
for k = 3, #ARGV, 2 do
  if not given[ARGV[k]] then members[#members + 1] = ARGV[k] end
  given[ARGV[k]] = ARGV[k + 1]
end
local missing = {}
for _, member in ipairs(redis.call('SMEMBERS', idsKey)) do
  if not given[member] then missing[#missing + 1] = member end
end
if #missing > 0 then return { 0, missing } end

for _, member in ipairs(members) do
  if redis.call('HGET', IDX, member) == pid then redis.call('HDEL', IDX, member) end
  redis.call('SADD', P .. ':id:sup', given[member])
end
local merged = redis.call('SMEMBERS', mergedKey)
redis.call('DEL', idsKey, P .. ':id:c:' .. pid, mergedKey)
redis.call('HDEL', P .. ':id:created', pid)
return { 1, members, merged }
