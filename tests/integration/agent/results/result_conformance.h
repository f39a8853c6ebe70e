#pragma once

// The result-store conformance suite, written once and instantiated per store
// (redis_result_store_test.cpp, pg_result_store_test.cpp) against the shared
// fixture servers.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "controller/sources/lease/store_config.h"
#include "examples/agent/results/open_result_store.h"
#include "tests/integration/sources/lease/store_harness.h"

namespace agentfleet::agent::results::testing {

// A store's name (which GoogleTest prints) and its fixture server.
struct StoreParam {
  std::string name;
  std::function<sources::lease::StoreConfig()> config;
};
inline void PrintTo(const StoreParam& p, std::ostream* os) {
  *os << p.name;
}

// Each test writes to a fleet of its own. The lease table on the same server
// hands out the tokens the fencing rule is about.
class ResultConformance : public ::testing::TestWithParam<StoreParam> {
 protected:
  void SetUp() override {
    config_ = GetParam().config();
    fleet_ = sources::lease::testing::UniqueName("fleet");
  }
  // A new connection each call, through the configuration path a deployment
  // uses (throws if the fixture is unreachable).
  std::unique_ptr<sources::lease::LeaseStore> NewLeaseStore() const {
    return sources::lease::testing::Must(sources::lease::OpenLeaseStore(config_));
  }
  std::unique_ptr<ResultStore> NewResultStore() const {
    return sources::lease::testing::Must(OpenResultStore(config_));
  }
  const std::string& fleet() const { return fleet_; }

 private:
  sources::lease::StoreConfig config_;
  std::string fleet_;
};

}  // namespace agentfleet::agent::results::testing
