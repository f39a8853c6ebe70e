#pragma once

// The Lua scripts of RedisLeaseStore. Each returns {now_ms, {entry...}} with
// one entry per requested shard: {ok, has_record, token, expires_at_ms, holder}
// (after success the new lease; after failure the record in the way).
// Numbers stay below 2^53, so Lua's doubles hold them exactly.

namespace agentfleet::sources::lease::scripts {

// Shared prologue: the server clock and the record codec.
#define AGENTFLEET_LEASE_LUA_PRELUDE                                            \
  "local t = redis.call('TIME')\n"                                              \
  "local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"                  \
  "local now_ms = math.floor(now_us / 1000)\n"                                  \
  "local function get(shard)\n"                                                 \
  "  local v = redis.call('HGET', KEYS[1], shard)\n"                            \
  "  if not v then return nil end\n"                                            \
  "  local a = string.find(v, ' ', 1, true)\n"                                  \
  "  local b = string.find(v, ' ', a + 1, true)\n"                              \
  "  return {tonumber(string.sub(v, 1, a - 1)), tonumber(string.sub(v, a + 1, " \
  "b - 1)), string.sub(v, b + 1)}\n"                                            \
  "end\n"                                                                       \
  "local function put(shard, token, exp, holder)\n"                             \
  "  redis.call('HSET', KEYS[1], shard, string.format('%.0f %.0f %s', token, "  \
  "exp, holder))\n"                                                             \
  "end\n"                                                                       \
  "local function entry(ok, r)\n"                                               \
  "  if not r then return {ok, 0, 0, 0, ''} end\n"                              \
  "  return {ok, 1, r[1], r[2], r[3]}\n"                                        \
  "end\n"                                                                       \
  "local out = {}\n"

// ARGV: holder, ttl_ms, shard...
inline constexpr const char* kAcquire = AGENTFLEET_LEASE_LUA_PRELUDE
    "local holder, ttl = ARGV[1], tonumber(ARGV[2])\n"
    "for i = 3, #ARGV do\n"
    "  local r = get(ARGV[i])\n"
    "  if r and r[3] ~= '' and r[3] ~= holder and r[2] > now_ms then\n"
    "    out[#out + 1] = entry(0, r)\n"
    "  else\n"
    "    local token = now_us\n"
    "    if r and r[1] + 1 > token then token = r[1] + 1 end\n"
    "    local n = {token, now_ms + ttl, holder}\n"
    "    put(ARGV[i], n[1], n[2], n[3])\n"
    "    out[#out + 1] = entry(1, n)\n"
    "  end\n"
    "end\n"
    "return {now_ms, out}\n";

// ARGV: holder, ttl_ms, (shard, token)...
inline constexpr const char* kRenew = AGENTFLEET_LEASE_LUA_PRELUDE
    "local holder, ttl = ARGV[1], tonumber(ARGV[2])\n"
    "for i = 3, #ARGV, 2 do\n"
    "  local r = get(ARGV[i])\n"
    "  if r and r[3] == holder and r[1] == tonumber(ARGV[i + 1]) and r[2] > now_ms then\n"
    "    r[2] = now_ms + ttl\n"
    "    put(ARGV[i], r[1], r[2], r[3])\n"
    "    out[#out + 1] = entry(1, r)\n"
    "  else\n"
    "    out[#out + 1] = entry(0, r)\n"
    "  end\n"
    "end\n"
    "return {now_ms, out}\n";

// ARGV: holder, (shard, token)...
inline constexpr const char* kRelease = AGENTFLEET_LEASE_LUA_PRELUDE
    "local holder = ARGV[1]\n"
    "for i = 2, #ARGV, 2 do\n"
    "  local r = get(ARGV[i])\n"
    "  if r and r[3] == holder and r[1] == tonumber(ARGV[i + 1]) then\n"
    "    put(ARGV[i], r[1], 0, '')\n"
    "    out[#out + 1] = entry(1, {r[1], 0, ''})\n"
    "  else\n"
    "    out[#out + 1] = entry(0, r)\n"
    "  end\n"
    "end\n"
    "return {now_ms, out}\n";

// ARGV: (shard, token)... Frees the lease seen, whoever holds it; token + 1.
inline constexpr const char* kRevoke = AGENTFLEET_LEASE_LUA_PRELUDE
    "for i = 1, #ARGV, 2 do\n"
    "  local r = get(ARGV[i])\n"
    "  if r and r[1] == tonumber(ARGV[i + 1]) then\n"
    "    put(ARGV[i], r[1] + 1, 0, '')\n"
    "    out[#out + 1] = entry(1, {r[1] + 1, 0, ''})\n"
    "  else\n"
    "    out[#out + 1] = entry(0, r)\n"
    "  end\n"
    "end\n"
    "return {now_ms, out}\n";

#undef AGENTFLEET_LEASE_LUA_PRELUDE

// Published assignments: KEYS[1] = the fleet's assignment hash, field = pod,
// value = "<generation> <shards>". A value whose generation does not parse
// counts as absent: it is replaced or removed, never trusted.
#define AGENTFLEET_ASSIGNMENT_LUA_PRELUDE           \
  "local function generation(pod)\n"                \
  "  local v = redis.call('HGET', KEYS[1], pod)\n"  \
  "  if not v then return nil end\n"                \
  "  return tonumber(string.match(v, '^(%d+) '))\n" \
  "end\n"                                           \
  "local out = {}\n"

// ARGV: (pod, generation, shards)... Returns 1 per record written, 0 per
// record skipped because the stored generation is at least as high.
inline constexpr const char* kPublishAssignments = AGENTFLEET_ASSIGNMENT_LUA_PRELUDE
    "for i = 1, #ARGV, 3 do\n"
    "  local g = generation(ARGV[i])\n"
    "  if g and g >= tonumber(ARGV[i + 1]) then\n"
    "    out[#out + 1] = 0\n"
    "  else\n"
    "    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])\n"
    "    out[#out + 1] = 1\n"
    "  end\n"
    "end\n"
    "return out\n";

// ARGV: (pod, generation)... Removes a record whose generation is at most the
// one given. Returns the number removed.
inline constexpr const char* kRemoveAssignments = AGENTFLEET_ASSIGNMENT_LUA_PRELUDE
    "local n = 0\n"
    "for i = 1, #ARGV, 2 do\n"
    "  local v = redis.call('HGET', KEYS[1], ARGV[i])\n"
    "  local g = generation(ARGV[i])\n"
    "  if v and (not g or g <= tonumber(ARGV[i + 1])) then\n"
    "    redis.call('HDEL', KEYS[1], ARGV[i])\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

#undef AGENTFLEET_ASSIGNMENT_LUA_PRELUDE

}  // namespace agentfleet::sources::lease::scripts
