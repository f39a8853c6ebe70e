#pragma once

// The result store's tables in PostgreSQL, migrated like the operator's lease
// table (controller/sources/lease/pg_schema.h) under the same lock.

#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::agent::results {

// 1: shard_fences (fleet, shard, token) and product_prices (fleet, product,
//    shard, price, token, updated_at);
// 2: product_prices.version_hi and version_lo, the task version (0 for rows
//    of version 1).
inline constexpr int kResultSchemaVersion = 2;

// Creates or upgrades the tables; recorded as component "fenced_results".
Status MigrateResultSchema(sources::lease::PgConnection& db);

}  // namespace agentfleet::agent::results
