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
    "  PRIMARY KEY (fleet, product));\n"
    // Version 2: the task version of each price. Prices stored before it get
    // (0, 0), the oldest. Checked first because ALTER TABLE takes an exclusive
    // lock even when IF NOT EXISTS makes it a no-op, and every agent start
    // runs this; with a constant default, adding the columns rewrites nothing.
    "DO $$ BEGIN\n"
    "  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'product_prices'::regclass\n"
    "                 AND attname = 'version_lo' AND NOT attisdropped) THEN\n"
    "    ALTER TABLE product_prices\n"
    "      ADD COLUMN IF NOT EXISTS version_hi bigint NOT NULL DEFAULT 0,\n"
    "      ADD COLUMN IF NOT EXISTS version_lo bigint NOT NULL DEFAULT 0;\n"
    "  END IF;\n"
    "END $$;\n";

}  // namespace

Status MigrateResultSchema(sources::lease::PgConnection& db) {
  return sources::lease::Migrate(db, "fenced_results", kResultSchemaVersion, kResultDdl);
}

}  // namespace agentfleet::agent::results
