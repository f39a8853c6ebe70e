#pragma once

// Idempotent migrations of the tables agentfleet keeps in PostgreSQL. Each
// component records its schema version in agentfleet_schema; a migration runs
// under a transaction-scoped advisory lock, so several processes may start at
// once. Running it again changes nothing.

#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::sources::lease {

inline constexpr int kLeaseSchemaVersion = 1;
inline constexpr int kResultSchemaVersion = 1;

// shard_leases (fleet, shard, holder, token, expires_at).
Status MigrateLeaseSchema(PgConnection& db);
// shard_fences (fleet, shard, token) and product_prices.
Status MigrateResultSchema(PgConnection& db);

// The version recorded for `component`, 0 if none.
Result<int> SchemaVersion(PgConnection& db, std::string_view component);

}  // namespace agentfleet::sources::lease
