#include "examples/agent/results/open_result_store.h"

#include "examples/agent/results/pg_result_store.h"
#include "examples/agent/results/redis_result_store.h"

namespace agentfleet::agent::results {

Result<std::unique_ptr<ResultStore>> OpenResultStore(const sources::lease::StoreConfig& config) {
  return sources::lease::OpenStore<ResultStore, RedisResultStore, PgResultStore>(config);
}

}  // namespace agentfleet::agent::results
