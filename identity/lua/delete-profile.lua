-- Removes a profile from the live identity graph and suppresses its identifiers, atomically: from the
-- moment this returns, events carrying any of them are dropped by resolve-identities.lua.
-- ARGV[1]: profile id; ARGV[2]: key prefix; ARGV[3..]: further "type\x1fvalue" identifiers to suppress
-- (those ClickHouse knows for the profile, in case the live graph lost some).
-- Returns { identifiers ("type\x1fvalue"), profiles merged into it }.
local pid, P = ARGV[1], ARGV[2]
local SEP = '\31'
local IDX = P .. ':id:idx'
local idsKey = P .. ':id:p:' .. pid
local mergedKey = P .. ':id:m:' .. pid

local members = redis.call('SMEMBERS', idsKey)
for k = 3, #ARGV do members[#members + 1] = ARGV[k] end
for _, member in ipairs(members) do
  if redis.call('HGET', IDX, member) == pid then redis.call('HDEL', IDX, member) end
  redis.call('SADD', P .. ':id:sup', redis.sha1hex(member))
end
local merged = redis.call('SMEMBERS', mergedKey)
redis.call('DEL', idsKey, P .. ':id:c:' .. pid, mergedKey)
redis.call('HDEL', P .. ':id:created', pid)
return { members, merged }
