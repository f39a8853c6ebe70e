#pragma once

// One pricing task and the repricing rule. Pure.
//
// A task is one entry of the stream "<prefix>:<shard>" with the fields
//   task     a task id, unique per task (free text, non-empty)
//   product  the product id; must belong to the stream's shard (ShardOf)
//   price    the base price in minor currency units (cents): a decimal integer,
//            0 <= price <= 10^13
// Other fields are ignored. The result is the product's new price, written to
// the fenced result store under the product id. The entry's ID is the task's
// version (results/task_version.h): of a product's tasks, the store keeps the
// price of the one added last to the stream, whatever the processing order.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::agent {

struct Task {
  std::string id;
  std::string product;
  int64_t base_price = 0;  // cents
};

inline constexpr int64_t kMaxPrice = 10'000'000'000'000;  // 10^13 cents

// Parses a stream entry's field/value pairs. kInvalidArgument naming the field.
Result<Task> ParseTask(const std::vector<std::pair<std::string, std::string>>& fields);

// Checks that the task's product belongs to `shard` of `shard_count`.
Status CheckShard(const Task& task, uint32_t shard, uint32_t shard_count);

// The repricing rule: +7 %, rounded half up to the cent:
// floor((base * 107 + 50) / 100). Exact in integers; base <= kMaxPrice.
int64_t Reprice(int64_t base_cents);

}  // namespace agentfleet::agent
