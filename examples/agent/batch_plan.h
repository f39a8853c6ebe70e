#pragma once

// What one batch of stream entries writes to the result store: per product
// the price of its newest task (the greatest entry ID, whatever the entries'
// order), and the entries that are no valid task of the shard. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "examples/agent/results/result_store.h"
#include "examples/agent/stream_reply.h"

namespace agentfleet::agent {

struct InvalidEntry {
  size_t entry = 0;  // index into the batch
  std::string reason;
};

struct BatchPlan {
  std::vector<results::PriceWrite> prices;  // one per product, in order of first appearance
  std::vector<InvalidEntry> invalid;
};

// Per product the price of its newest task (the greatest version; of equal
// versions the later one), in order of first appearance: what one write of a
// batch carries, whatever order its tasks came in.
class NewestPrices {
 public:
  void Add(results::PriceWrite write);
  std::vector<results::PriceWrite> Take() { return std::move(prices_); }

 private:
  std::vector<results::PriceWrite> prices_;
  std::unordered_map<std::string, size_t> index_;  // product → position in prices_
};

BatchPlan PlanBatch(const std::vector<StreamEntry>& entries, uint32_t shard, uint32_t shard_count);

}  // namespace agentfleet::agent
