-- Claims one of a customer's messages of the day on a channel, for the frequency cap (journeys/messages/
-- frequency-cap.ts). KEYS[1]: hash message id -> the local day it was claimed on. ARGV: message id, today,
-- the cap, seconds to keep the hash. A message id claimed before is granted again (a resend counts once);
-- claims of other days are dropped as the hash is read. Returns 1 (send) or 0 (over the cap).
local claimed = redis.call('HGET', KEYS[1], ARGV[1])
if claimed then return 1 end
local all = redis.call('HGETALL', KEYS[1])
local today = 0
for i = 1, #all, 2 do
  if all[i + 1] == ARGV[2] then today = today + 1 else redis.call('HDEL', KEYS[1], all[i]) end
end
if today >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
