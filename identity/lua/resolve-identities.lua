-- Resolves a batch of events to profiles, atomically, in order: the identity graph's only writer.
--
-- KEYS (names from pipeline/redis/key-names.ts): [1] identifier index (hash `type\x1fvalue` -> profile),
--   [2] profile creation seqs (hash), [3] suppressed identifier hashes (set), [4] resolution seq (counter).
-- ARGV[1]: JSON { limits = { type = n, ['*'] = n }, events = [ { c = candidate profile id, ids = [[type, value], ...],
--          s = [keyed hashes of the identifiers, as the suppression set holds them] } ] }
--          with each event's identifiers sorted by priority, highest first. The hashes are keyed with the
--          installation secret, which Node holds and Redis never sees (identity/suppression-hash.ts).
-- ARGV[2], ARGV[3], ARGV[4]: the prefixes of a profile's own keys, followed by its id: its identifiers (set),
--          its count per identifier type (hash), the profiles merged into it (set). Profiles are found as the
--          script runs, so these keys cannot be declared (in a Redis Cluster they must hash to the declared
--          keys' slot, as the prefixes key-names.ts gives them do).
--
-- Per event: no identifier known -> a new profile (the candidate id); one profile -> attach the new
-- identifiers; several -> merge into the oldest. Whenever the result would hold more identifiers of a
-- type than its limit (two user_ids, say), the lowest-priority incoming identifiers are dropped (refused),
-- one at a time, and the rest is resolved again, as Segment Unify does: a user_id on a shared device's
-- anonymous_id gets a profile of its own instead of joining the device's first user.
-- A `previous_id` (alias) is looked up as a user_id, else taken as an anonymous_id.
-- Events carrying a suppressed identifier (a deleted profile's) are not resolved, nor events without any.
--
-- Returns JSON: one result per event { p = profile, q = seq, s = suppressed, e = every identifier with its
-- outcome and its position in the input (a replay feeds them back in that order), i = identifier -> profile assignments made, m = merges [from, to], o = overrides [old, new],
-- x = refusals [type, value, rule, profiles] }.

local IDX, CREATED, SUP, SEQ = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local input = cjson.decode(ARGV[1])
local IDS, COUNT, MERGED = ARGV[2], ARGV[3], ARGV[4]
local SEP = '\31'
local limits = input.limits

local function limit(t)
  local l = limits[t]
  if l == nil then l = limits['*'] end
  return l
end
local function idsKey(p) return IDS .. p end
local function countKey(p) return COUNT .. p end
local function mergedKey(p) return MERGED .. p end

local results = {}
for n, ev in ipairs(input.events) do
  local seq = redis.call('INCR', SEQ)
  local res = { q = seq, e = {}, i = {}, m = {}, o = {}, x = {} }
  local ids, given = {}, {}
  for k, id in ipairs(ev.ids) do
    local t, v = id[1], id[2]
    if t == 'previous_id' then
      if redis.call('HEXISTS', IDX, 'user_id' .. SEP .. v) == 1 then t = 'user_id' else t = 'anonymous_id' end
    end
    -- analytics.js sends an alias with previousId = anonymousId: the same identifier counts once.
    if not given[t .. SEP .. v] then
      given[t .. SEP .. v] = true
      ids[#ids + 1] = { t, v, k - 1 }
    end
  end

  local suppressed = false
  for _, h in ipairs(ev.s) do
    if redis.call('SISMEMBER', SUP, h) == 1 then suppressed = true break end
  end

  if suppressed then
    res.s = 1
    res.p = ''
  elseif #ids == 0 then
    -- Nothing left to identify anyone by (every identifier was junk): no profile rather than a new one each time.
    res.p = ''
  else
    local owners, profiles
    while true do
      owners, profiles = {}, {}
      local seen = {}
      for i, id in ipairs(ids) do
        local p = redis.call('HGET', IDX, id[1] .. SEP .. id[2])
        owners[i] = p
        if p and not seen[p] then
          seen[p] = true
          profiles[#profiles + 1] = p
        end
      end
      if #profiles == 0 then break end
      local counts = {}
      for _, p in ipairs(profiles) do
        local flat = redis.call('HGETALL', countKey(p))
        for k = 1, #flat, 2 do counts[flat[k]] = (counts[flat[k]] or 0) + tonumber(flat[k + 1]) end
      end
      for i, id in ipairs(ids) do
        if not owners[i] then counts[id[1]] = (counts[id[1]] or 0) + 1 end
      end
      local violated = nil
      for t, c in pairs(counts) do
        if c > limit(t) then violated = t end
      end
      if not violated then break end
      local dropped = table.remove(ids)
      res.x[#res.x + 1] = { dropped[1], dropped[2], 'limit:' .. violated, table.concat(profiles, ',') }
      res.e[#res.e + 1] = { dropped[1], dropped[2], 'refused', dropped[3] }
    end

    local pid
    if #profiles == 0 then
      pid = ev.c
      redis.call('HSET', CREATED, pid, seq)
    else
      table.sort(profiles, function(a, b)
        return tonumber(redis.call('HGET', CREATED, a) or 0) < tonumber(redis.call('HGET', CREATED, b) or 0)
      end)
      pid = profiles[1]
      for k = 2, #profiles do
        local old = profiles[k]
        for _, member in ipairs(redis.call('SMEMBERS', idsKey(old))) do
          redis.call('HSET', IDX, member, pid)
          redis.call('SADD', idsKey(pid), member)
          local cut = string.find(member, SEP, 1, true)
          res.i[#res.i + 1] = { string.sub(member, 1, cut - 1), string.sub(member, cut + 1), pid }
        end
        local flat = redis.call('HGETALL', countKey(old))
        for c = 1, #flat, 2 do redis.call('HINCRBY', countKey(pid), flat[c], tonumber(flat[c + 1])) end
        local gone = redis.call('SMEMBERS', mergedKey(old))
        gone[#gone + 1] = old
        for _, g in ipairs(gone) do
          redis.call('SADD', mergedKey(pid), g)
          res.o[#res.o + 1] = { g, pid }
        end
        redis.call('DEL', idsKey(old), countKey(old), mergedKey(old))
        redis.call('HDEL', CREATED, old)
        res.m[#res.m + 1] = { old, pid }
      end
    end

    for i, id in ipairs(ids) do
      if owners[i] then
        res.e[#res.e + 1] = { id[1], id[2], 'existing', id[3] }
      else
        local have = tonumber(redis.call('HGET', countKey(pid), id[1]) or 0)
        if have < limit(id[1]) then
          local member = id[1] .. SEP .. id[2]
          redis.call('HSET', IDX, member, pid)
          redis.call('SADD', idsKey(pid), member)
          redis.call('HINCRBY', countKey(pid), id[1], 1)
          res.i[#res.i + 1] = { id[1], id[2], pid }
          res.e[#res.e + 1] = { id[1], id[2], 'attached', id[3] }
        else
          res.x[#res.x + 1] = { id[1], id[2], 'limit:' .. id[1], pid }
          res.e[#res.e + 1] = { id[1], id[2], 'refused', id[3] }
        end
      end
    end
    res.p = pid
  end
  results[n] = res
end
return cjson.encode(results)
