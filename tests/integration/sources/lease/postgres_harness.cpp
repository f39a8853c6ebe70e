// The lease conformance suite against PostgreSQL: the shared `postgres`
// fixture, and private servers from tests/servers/postgres.sh for restarts.
#include <gtest/gtest.h>

#include "controller/sources/lease/pg_lease_store.h"
#include "tests/integration/sources/lease/conformance.h"
#include "tests/integration/sources/lease/fixture_config.h"
#include "tests/integration/sources/lease/postgres_fixture.h"

namespace agentfleet::sources::lease::testing {
namespace {

class PgPrivateServer final : public PrivateServer {
 public:
  PgPrivateServer() : dir_(MakeTempDir("postgres")) {
    try {
      RunFixtureScript("postgres.sh", "up", dir_);
    } catch (...) {
      RunFixtureScript("postgres.sh", "down", dir_);
      throw;
    }
    options_ = PostgresOptionsIn(dir_);
  }
  ~PgPrivateServer() override { RunFixtureScript("postgres.sh", "down", dir_); }
  std::unique_ptr<LeaseStore> NewLeaseStore() override {
    return Must(PgLeaseStore::Connect(options_));
  }
  void Restart() override { RunFixtureScript("postgres.sh", "restart", dir_); }

 private:
  std::string dir_;
  PgOptions options_;
};

class PgHarness final : public StoreHarness {
 public:
  std::string Name() const override { return "postgres"; }
  // The shared fixture goes through the configuration path a deployment uses.
  std::unique_ptr<LeaseStore> NewLeaseStore() override {
    return Must(OpenLeaseStore(PostgresFixtureConfig()));
  }
  std::unique_ptr<PrivateServer> StartPrivateServer() override {
    return std::make_unique<PgPrivateServer>();
  }
  bool Durable() const override { return true; }
};

INSTANTIATE_TEST_SUITE_P(Postgres, LeaseConformance,
                         ::testing::Values(HarnessParam{
                             "postgres",
                             [] { return std::unique_ptr<StoreHarness>(new PgHarness); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace agentfleet::sources::lease::testing
