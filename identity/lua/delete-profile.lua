-- Removes a profile from the live identity graph and suppresses its identifiers, atomically: from the
-- moment this returns, events carrying any of them are dropped by resolve-identities.lua.
-- The suppression set holds keyed hashes that only Node can compute (the key never reaches Redis), so
-- Node reads the profile's identifiers first and passes each with its hash. When the profile gained an
-- identifier in between (an event resolved meanwhile), nothing is done and the missing ones are returned
-- for Node to hash and call again.
-- KEYS (names from pipeline/redis/key-names.ts): [1] identifier index (hash), [2] suppressed identifier
-- hashes (set), [3] profile creation seqs (hash), and the profile's own [4] identifiers (set),
-- [5] counts per identifier type (hash), [6] profiles merged into it (set).
-- ARGV[1]: profile id; ARGV[2..]: pairs "type\x1fvalue", its keyed hash (the profile's live identifiers,
-- and those ClickHouse knows for it in case the live graph lost some).
-- Returns { 1, identifiers ("type\x1fvalue"), profiles merged into it }, or { 0, identifiers not given }.
local IDX, SUP, CREATED, idsKey, countKey, mergedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local pid = ARGV[1]

local given, members = {}, {}
for k = 2, #ARGV, 2 do
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
  redis.call('SADD', SUP, given[member])
end
local merged = redis.call('SMEMBERS', mergedKey)
redis.call('DEL', idsKey, countKey, mergedKey)
redis.call('HDEL', CREATED, pid)
return { 1, members, merged }
