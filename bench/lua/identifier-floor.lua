-- The identity bench's floor (bench/identity-core-bench.ts): the least any resolver writes, one HSET per
-- identifier of each event (identifier -> the event's candidate profile), with no lookup, merge or limit.
-- KEYS[1]: the identifier index (hash). ARGV[1]: JSON [ { c = candidate, ids = [[type, value], ...] } ].
local events = cjson.decode(ARGV[1])
for _, e in ipairs(events) do
  for _, id in ipairs(e.ids) do redis.call('HSET', KEYS[1], id[1] .. '\31' .. id[2], e.c) end
end
return #events
