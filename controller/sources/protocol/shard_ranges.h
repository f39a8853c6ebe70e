#pragma once

// The compact range form of a set of shards, as in the agentfleet.io/shards
// annotation: comma-separated items, each a shard ("32") or an inclusive run
// ("40-47"), ascending and disjoint. The empty string is the empty set.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::protocol {

// Canonical form: runs of two or more consecutive shards become "a-b".
// `shards` must be sorted ascending without duplicates.
std::string FormatShardRanges(const std::vector<uint32_t>& shards);

// Parses and validates against a fleet of `shard_count` shards. Rejects, with
// a message naming the item and the problem: empty items, non-digits, leading
// zeros, reversed or one-shard runs ("5-3", "4-4"), shards >= shard_count,
// and items that are out of order or overlap an earlier item.
Result<std::vector<uint32_t>> ParseShardRanges(std::string_view text, uint32_t shard_count);

}  // namespace agentfleet::sources::protocol
