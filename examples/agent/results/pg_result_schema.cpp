#include "examples/agent/results/pg_result_schema.h"

#include <string_view>

#include "controller/sources/lease/pg_schema.h"

namespace agentfleet::agent::results {
namespace {

constexpr std::string_view kResultDdl =
    "CREATE TABLE IF NOT EXISTS shard_fences (\n"
    "  fleet text NOT NULL,\n"
    "  shard integer NOT NULL CHECK (shard >= 0),\n"
    "  token bigint NOT NULL,\n"
    "  PRIMARY KEY (fleet, shard));\n"
    "CREATE TABLE IF NOT EXISTS product_prices (\n"
    "  fleet text NOT NULL,\n"
    "  product text NOT NULL,\n"
    "  shard integer NOT NULL CHECK (shard >= 0),\n"
    "  price bigint NOT NULL,\n"
    "  token bigint NOT NULL,\n"
    "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
    "  PRIMARY KEY (fleet, product));\n";

}  // namespace

Status MigrateResultSchema(sources::lease::PgConnection& db) {
  return sources::lease::Migrate(db, "fenced_results", kResultSchemaVersion, kResultDdl);
}

}  // namespace agentfleet::agent::results
