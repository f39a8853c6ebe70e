#pragma once

// Idempotent migrations of the tables agentfleet keeps in PostgreSQL. Each
// component records its schema version in agentfleet_schema; a migration runs
// under a transaction-scoped advisory lock, so several processes may start at
// once. Running it again changes nothing.

#include "controller/sources/lease/pg_connection.h"

namespace agentfleet::sources::lease {

// 1: shard_leases. 2: shard_assignments, the published assignments.
inline constexpr int kLeaseSchemaVersion = 2;

// Runs `ddl` (idempotent statements: CREATE TABLE IF NOT EXISTS, ...) under the
// lock and records `version` for `component`. Components outside the operator
// (the agents' result tables) migrate through it too, so that all share the lock.
Status Migrate(PgConnection& db, std::string_view component, int version, std::string_view ddl);

// shard_leases (fleet, shard, holder, token, expires_at) and
// shard_assignments (fleet, pod, generation, shards).
Status MigrateLeaseSchema(PgConnection& db);

// The version recorded for `component`, 0 if none.
Result<int> SchemaVersion(PgConnection& db, std::string_view component);

}  // namespace agentfleet::sources::lease
