#pragma once

// The result store's tables in PostgreSQL, migrated like the operator's lease
// table (controller/sources/lease/pg_schema.h) under the same lock.

#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::agent::results {

inline constexpr int kResultSchemaVersion = 1;

// shard_fences (fleet, shard, token) and product_prices; recorded as
// component "fenced_results".
Status MigrateResultSchema(sources::lease::PgConnection& db);

}  // namespace agentfleet::agent::results
