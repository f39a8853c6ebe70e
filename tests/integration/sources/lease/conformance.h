#pragma once

// The lease conformance suite, written once and instantiated per store (see
// redis_harness.cpp, postgres_harness.cpp).

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tests/integration/sources/lease/store_harness.h"

namespace agentfleet::sources::lease::testing {

// A store's harness and its name (which GoogleTest prints).
struct HarnessParam {
  std::string name;
  HarnessFactory make;
};
inline void PrintTo(const HarnessParam& p, std::ostream* os) {
  *os << p.name;
}

class LeaseConformance : public ::testing::TestWithParam<HarnessParam> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    fleet_ = UniqueName("fleet");
  }
  StoreHarness& harness() { return *harness_; }
  const std::string& fleet() const { return fleet_; }

 private:
  std::unique_ptr<StoreHarness> harness_;
  std::string fleet_;
};

}  // namespace agentfleet::sources::lease::testing
