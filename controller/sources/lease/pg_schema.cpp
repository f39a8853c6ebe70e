#include "controller/sources/lease/pg_schema.h"

#include <string>

namespace agentfleet::sources::lease {
namespace {

// BEGIN/COMMIT explicit: the advisory lock must cover the whole migration.
std::string Migration(std::string_view component, int version, std::string_view ddl) {
  const std::string v = std::to_string(version);
  return "BEGIN;\n"
         "SELECT pg_advisory_xact_lock(7046213904127348);\n"
         "CREATE TABLE IF NOT EXISTS agentfleet_schema (\n"
         "  component text PRIMARY KEY,\n"
         "  version integer NOT NULL,\n"
         "  applied_at timestamptz NOT NULL DEFAULT now());\n" +
         std::string(ddl) + "INSERT INTO agentfleet_schema (component, version) VALUES ('" +
         std::string(component) + "', " + v +
         ")\n"
         "  ON CONFLICT (component) DO UPDATE SET version = GREATEST(agentfleet_schema.version, " +
         v + "), applied_at = CASE WHEN agentfleet_schema.version < " + v +
         " THEN now() ELSE agentfleet_schema.applied_at END;\n"
         "COMMIT;\n";
}

constexpr std::string_view kLeaseDdl =
    "CREATE TABLE IF NOT EXISTS shard_leases (\n"
    "  fleet text NOT NULL,\n"
    "  shard integer NOT NULL CHECK (shard >= 0),\n"
    "  holder text NOT NULL DEFAULT '',\n"
    "  token bigint NOT NULL,\n"
    "  expires_at timestamptz NOT NULL,\n"
    "  PRIMARY KEY (fleet, shard));\n"
    // Version 2. A table of its own, not columns of shard_leases: its rows
    // are per pod, and a version-1 agent's statements keep working.
    "CREATE TABLE IF NOT EXISTS shard_assignments (\n"
    "  fleet text NOT NULL,\n"
    "  pod text NOT NULL,\n"
    "  generation bigint NOT NULL CHECK (generation > 0),\n"
    "  shards text NOT NULL,\n"
    "  PRIMARY KEY (fleet, pod));\n";

}  // namespace

Status Migrate(PgConnection& db, std::string_view component, int version, std::string_view ddl) {
  return db.ExecScript(Migration(component, version, ddl));
}

Status MigrateLeaseSchema(PgConnection& db) {
  return Migrate(db, "shard_leases", kLeaseSchemaVersion, kLeaseDdl);
}

Result<int> SchemaVersion(PgConnection& db, std::string_view component) {
  auto exists = db.Exec("SELECT to_regclass('agentfleet_schema') IS NOT NULL");
  if (!exists.ok()) return exists.error();
  if (exists->rows.empty() || exists->rows[0][0] != "t") return 0;
  auto r = db.Exec("SELECT version FROM agentfleet_schema WHERE component = $1",
                   {std::string(component)});
  if (!r.ok()) return r.error();
  if (r->rows.empty() || !r->rows[0][0]) return 0;
  return std::stoi(*r->rows[0][0]);
}

}  // namespace agentfleet::sources::lease
