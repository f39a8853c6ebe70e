#include "examples/agent/results/pg_result_schema.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "controller/sources/lease/pg_schema.h"
#include "tests/integration/sources/lease/postgres_fixture.h"

namespace agentfleet::agent::results::testing {
namespace {

using sources::lease::MigrateLeaseSchema;
using sources::lease::PgConnection;
using sources::lease::testing::Must;
using sources::lease::testing::PostgresFixture;

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

}  // namespace
}  // namespace agentfleet::agent::results::testing
