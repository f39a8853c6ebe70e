#pragma once

// Parsing of spec.queue and spec.leases, the parts with one of several backends.

#include <nlohmann/json.hpp>

#include "controller/fleet/api/json_reader.h"
#include "controller/fleet/api/types.h"
#include "controller/sources/protocol/shard.h"

namespace agentfleet::fleet::api::detail {

// The schema's bounds, repeated here for objects that did not go through it.
// Replicas never exceed shards, so every replica count has the shards' bound.
constexpr int64_t kMaxShards = sources::protocol::kMaxShards;
constexpr int64_t kMaxReplicas = kMaxShards;
// A scaling policy's value is a pod count or a percentage (1000% is a value).
constexpr int64_t kMaxPolicyValue = 1'000'000;
constexpr int64_t kMaxDepth = 1'000'000'000;
constexpr size_t kMaxUrl = 1024;
constexpr size_t kMaxName = 253;
constexpr size_t kMaxKeyPrefix = 128;

QueueSpec ParseQueue(JsonReader& r, const nlohmann::json& spec);
LeaseSpec ParseLeases(JsonReader& r, const nlohmann::json& spec);

}  // namespace agentfleet::fleet::api::detail
