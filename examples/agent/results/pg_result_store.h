#pragma once

// The fenced result store in PostgreSQL: tables shard_fences (the high-water
// mark per shard) and product_prices (see pg_result_schema.h). A write is one
// statement: an upsert of the fence row that raises the mark only if the token
// is not lower (taking the row lock, which orders concurrent writers of a
// shard), then the price upserts, executed only if the fence accepted, each
// updating its product's row only if its task version is not older.

#include <memory>
#include <mutex>

#include "controller/sources/lease/pg_connection.h"
#include "examples/agent/results/result_store.h"

namespace agentfleet::agent::results {

class PgResultStore final : public ResultStore {
 public:
  // Connects and runs the idempotent migration.
  static Result<std::unique_ptr<PgResultStore>> Connect(const sources::lease::PgOptions& options);
  explicit PgResultStore(std::unique_ptr<sources::lease::PgConnection> db);

  Result<WriteOutcome> Write(std::string_view fleet, uint32_t shard, int64_t token,
                             const std::vector<PriceWrite>& prices) override;
  Result<std::optional<StoredPrice>> Get(std::string_view fleet, std::string_view product) override;
  Status RaiseFence(std::string_view fleet, uint32_t shard, int64_t token) override;
  Result<int64_t> HighWater(std::string_view fleet, uint32_t shard) override;
  Status DeleteFleet(std::string_view fleet) override;

 private:
  std::mutex mu_;
  std::unique_ptr<sources::lease::PgConnection> db_;
};

}  // namespace agentfleet::agent::results
