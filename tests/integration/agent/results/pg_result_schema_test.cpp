#include "examples/agent/results/pg_result_schema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "controller/sources/lease/pg_schema.h"
#include "examples/agent/results/pg_result_store.h"
#include "tests/integration/sources/lease/postgres_fixture.h"

namespace agentfleet::agent::results::testing {
namespace {

using sources::lease::MigrateLeaseSchema;
using sources::lease::PgConnection;
using sources::lease::testing::Must;
using sources::lease::testing::PostgresFixture;
using sources::lease::testing::UniqueName;

// The result tables migrate beside the lease table, under the same lock.
TEST(PgResultSchema, MigrationIsIdempotentAndConcurrentWithTheLeaseSchema) {
  auto db = Must(PgConnection::Connect(PostgresFixture()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(MigrateLeaseSchema(*db).ok());
    ASSERT_TRUE(MigrateResultSchema(*db).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto c = Must(PgConnection::Connect(PostgresFixture()));
      if (!MigrateLeaseSchema(*c).ok() || !MigrateResultSchema(*c).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*sources::lease::SchemaVersion(*db, "fenced_results"), kResultSchemaVersion);
}

// A database at version 1 (prices without task versions) migrates in place,
// while agents may be writing: its prices read as version (0, 0), the
// oldest, and the next task of a product replaces its price. In a schema of
// its own, so that the shared tables are not touched.
TEST(PgResultSchema, VersionOneMigratesAndItsPricesAreTheOldest) {
  std::string schema = UniqueName("results_v1");
  for (char& c : schema) c = c == '-' ? '_' : c;
  auto db = Must(PgConnection::Connect(PostgresFixture()));
  ASSERT_TRUE(db->ExecScript("CREATE SCHEMA " + schema + ";\nSET search_path TO " + schema +
                             ";\n"
                             "CREATE TABLE agentfleet_schema (component text PRIMARY KEY,\n"
                             "  version integer NOT NULL,\n"
                             "  applied_at timestamptz NOT NULL DEFAULT now());\n"
                             "INSERT INTO agentfleet_schema VALUES ('fenced_results', 1);\n"
                             "CREATE TABLE shard_fences (fleet text NOT NULL,\n"
                             "  shard integer NOT NULL CHECK (shard >= 0), token bigint NOT NULL,\n"
                             "  PRIMARY KEY (fleet, shard));\n"
                             "CREATE TABLE product_prices (fleet text NOT NULL,\n"
                             "  product text NOT NULL, shard integer NOT NULL CHECK (shard >= 0),\n"
                             "  price bigint NOT NULL, token bigint NOT NULL,\n"
                             "  updated_at timestamptz NOT NULL DEFAULT now(),\n"
                             "  PRIMARY KEY (fleet, product));\n"
                             "INSERT INTO shard_fences VALUES ('f', 3, 5);\n"
                             "INSERT INTO product_prices (fleet, product, shard, price, token)\n"
                             "  VALUES ('f', 'old', 3, 999, 5), ('f', 'kept', 3, 111, 5);\n")
                  .ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(MigrateResultSchema(*db).ok()) << "run " << i;
  EXPECT_EQ(*sources::lease::SchemaVersion(*db, "fenced_results"), kResultSchemaVersion);
  EXPECT_EQ(kResultSchemaVersion, 2);

  PgResultStore store(std::move(db));  // keeps the connection and its search_path
  EXPECT_EQ(**store.Get("f", "old"), (StoredPrice{"old", 3, 999, 5, {0, 0}}));
  auto w = store.Write("f", 3, 5, {{"old", 1000, {0, 1}}});
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->superseded, 0u);
  EXPECT_EQ(**store.Get("f", "old"), (StoredPrice{"old", 3, 1000, 5, {0, 1}}));
  EXPECT_EQ(**store.Get("f", "kept"), (StoredPrice{"kept", 3, 111, 5, {0, 0}}));

  auto admin = Must(PgConnection::Connect(PostgresFixture()));
  EXPECT_TRUE(admin->ExecScript("DROP SCHEMA " + schema + " CASCADE;").ok());
}

}  // namespace
}  // namespace agentfleet::agent::results::testing
