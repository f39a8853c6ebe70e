#pragma once

// The fenced result store in Redis. Per fleet two hashes (one hash tag):
//   <prefix>results:{<fleet>}:fence   shard   → highest accepted token
//   <prefix>results:{<fleet>}:prices  product → "<token> <shard> <price> <hi>-<lo>"
// (the task version last; a value without one, stored before versions
// existed, is version 0-0). A write is one Lua script: compare with the mark,
// raise it, set each price whose task is not older than the stored one's.

#include <memory>
#include <mutex>

#include "controller/sources/redis/client.h"
#include "examples/agent/results/result_store.h"

namespace agentfleet::agent::results {

class RedisResultStore final : public ResultStore {
 public:
  static Result<std::unique_ptr<RedisResultStore>> Connect(const sources::redis::Options& options,
                                                           std::string key_prefix = "agentfleet:");
  RedisResultStore(std::unique_ptr<sources::redis::Client> client, std::string key_prefix);

  Result<WriteOutcome> Write(std::string_view fleet, uint32_t shard, int64_t token,
                             const std::vector<PriceWrite>& prices) override;
  Result<std::optional<StoredPrice>> Get(std::string_view fleet, std::string_view product) override;
  Status RaiseFence(std::string_view fleet, uint32_t shard, int64_t token) override;
  Result<int64_t> HighWater(std::string_view fleet, uint32_t shard) override;
  Status DeleteFleet(std::string_view fleet) override;

 private:
  std::string FenceKey(std::string_view fleet) const;
  std::string PricesKey(std::string_view fleet) const;

  std::mutex mu_;
  std::unique_ptr<sources::redis::Client> client_;
  std::string prefix_;
};

}  // namespace agentfleet::agent::results
