// The conformance suites against PostgreSQL: the shared `postgres` fixture,
// and private servers from tests/servers/postgres.sh for restarts.
#include <gtest/gtest.h>

#include <stdexcept>

#include "controller/sources/lease/pg_lease_store.h"
#include "controller/sources/lease/pg_result_store.h"
#include "controller/sources/lease/store_config.h"
#include "tests/integration/sources/lease/conformance.h"
#include "tests/integration/sources/lease/postgres_fixture.h"

namespace agentfleet::sources::lease::testing {
namespace {

template <typename T>
std::unique_ptr<T> Must(Result<std::unique_ptr<T>> r) {
  if (!r.ok()) throw std::runtime_error(r.error().ToString());
  return std::move(*r);
}

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
  std::unique_ptr<ResultStore> NewResultStore() override {
    return Must(PgResultStore::Connect(options_));
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
  std::unique_ptr<LeaseStore> NewLeaseStore() override { return Must(OpenLeaseStore(Config())); }
  std::unique_ptr<ResultStore> NewResultStore() override { return Must(OpenResultStore(Config())); }
  std::unique_ptr<PrivateServer> StartPrivateServer() override {
    return std::make_unique<PgPrivateServer>();
  }
  bool Durable() const override { return true; }

 private:
  static StoreConfig Config() {
    const PgOptions o = PostgresFixture();
    auto c = ParseStoreUrl(o.conninfo, o.password, std::chrono::seconds(10));
    if (!c.ok()) throw std::runtime_error(c.error().ToString());
    return *c;
  }
};

INSTANTIATE_TEST_SUITE_P(Postgres, LeaseConformance,
                         ::testing::Values(HarnessParam{
                             "postgres",
                             [] { return std::unique_ptr<StoreHarness>(new PgHarness); }}),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Postgres, ResultConformance,
                         ::testing::Values(HarnessParam{
                             "postgres",
                             [] { return std::unique_ptr<StoreHarness>(new PgHarness); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace agentfleet::sources::lease::testing
