#pragma once

// The result store a store URL selects (controller/sources/lease/store_config.h):
// the same server, and in Redis the same key prefix, as the lease table's.

#include <memory>

#include "controller/sources/lease/store_config.h"
#include "examples/agent/results/result_store.h"

namespace agentfleet::agent::results {

Result<std::unique_ptr<ResultStore>> OpenResultStore(const sources::lease::StoreConfig& config);

}  // namespace agentfleet::agent::results
