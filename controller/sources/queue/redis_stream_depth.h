#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/redis/resp.h"

// The pure half of the Redis stream sources: which commands to pipeline for a
// stream and how to turn their replies into a depth.
//
// A stream's depth for a consumer group is lag + pending from XINFO GROUPS
// (Redis 7): entries not yet delivered to the group plus entries delivered but
// not acknowledged. Decisions for the cases that have no lag:
//   - a missing stream counts 0 (nothing was ever produced to that shard);
//   - a missing group counts the whole stream (XLEN): nobody consumed it yet,
//     and under-reporting would leave work unprocessed, over-reporting only
//     scales up;
//   - a group whose lag Redis cannot compute (nil after XDEL or XSETID, or a
//     server older than 7.0) counts XLEN too, an upper bound, for the same
//     reason.
namespace agentfleet::sources::queue::redis_stream {

// {XINFO GROUPS key} and {XLEN key}: two commands per stream, so that every
// case above is decided from one round trip.
std::vector<std::vector<std::string>> Commands(const std::string& key);

// The depth of `key` for `group` from the replies to Commands(key), or, when
// `group` is empty, its length.
Result<int64_t> Depth(const redis::Reply& xinfo_groups, const redis::Reply& xlen,
                      const std::string& key, const std::string& group);

// LLEN's reply; WRONGTYPE is kInvalidArgument.
Result<int64_t> Length(const redis::Reply& reply, const std::string& key, const char* command);

}  // namespace agentfleet::sources::queue::redis_stream
