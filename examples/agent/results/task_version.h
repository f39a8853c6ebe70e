#pragma once

// The version of the task a price comes from. Of two tasks of one product, the
// store keeps the newer one's price (result_store.h), whatever order the
// agents process them in. Pure.
//
// Two parts compared in order, (hi, lo), each from 0 to 2^63 - 1 so that
// every store holds them exactly (a PostgreSQL bigint each). The reference
// agent takes its tasks from Redis Streams, where a task's version is its
// entry ID "<ms>-<seq>": IDs only grow within a stream, and all the tasks of
// a product are in one stream (the product's shard), so the later XADD is the
// newer task. A queue whose producer numbers tasks with one counter would map
// it to (counter, 0). (0, 0) is older than any task: it stands for a price
// stored before versions existed.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agentfleet::agent::results {

struct TaskVersion {
  int64_t hi = 0;
  int64_t lo = 0;
  auto operator<=>(const TaskVersion&) const = default;
};

// "<hi>-<lo>", the form of a stream entry ID, both parts in canonical decimal.
std::string FormatTaskVersion(const TaskVersion& v);

// Parses "<hi>-<lo>": decimal digits only, no leading zero, each part at most
// 2^63 - 1. nullopt otherwise (an ID Redis could issue but beyond that range).
std::optional<TaskVersion> ParseTaskVersion(std::string_view s);

// Both parts within range: what a write may carry.
bool ValidTaskVersion(const TaskVersion& v);

}  // namespace agentfleet::agent::results
