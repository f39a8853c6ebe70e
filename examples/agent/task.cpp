#include "examples/agent/task.h"

#include <charconv>

#include "controller/sources/protocol/shard.h"

namespace agentfleet::agent {

Result<Task> ParseTask(const std::vector<std::pair<std::string, std::string>>& fields) {
  Task t;
  bool has_price = false;
  for (const auto& [k, v] : fields) {
    if (k == "task") {
      t.id = v;
    } else if (k == "product") {
      t.product = v;
    } else if (k == "price") {
      int64_t p = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec != std::errc() || ptr != v.data() + v.size() || v.empty() || p < 0 || p > kMaxPrice ||
          (v.size() > 1 && v[0] == '0')) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "task field price must be a whole number of cents from 0 to 10^13");
      }
      t.base_price = p;
      has_price = true;
    }
  }
  if (t.id.empty()) return MakeError(ErrorCode::kInvalidArgument, "task field task is missing");
  if (t.product.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "task field product is missing");
  }
  if (!has_price) return MakeError(ErrorCode::kInvalidArgument, "task field price is missing");
  return t;
}

Status CheckShard(const Task& task, uint32_t shard, uint32_t shard_count) {
  uint32_t actual = sources::protocol::ShardOf(task.product, shard_count);
  if (actual != shard) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "product of task " + task.id + " belongs to shard " + std::to_string(actual) +
                         ", not to shard " + std::to_string(shard));
  }
  return Ok{};
}

int64_t Reprice(int64_t base_cents) {
  return (base_cents * 107 + 50) / 100;
}

}  // namespace agentfleet::agent
