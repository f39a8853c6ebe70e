#include "controller/kube/meta/quantity.h"

#include <gtest/gtest.h>

namespace agentfleet::kube::meta {
namespace {

int64_t Milli(std::string_view q) {
  auto v = ParseMilliQuantity(q);
  EXPECT_TRUE(v.ok()) << q << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : -1;
}

int64_t Units(std::string_view q) {
  auto v = ParseQuantity(q);
  EXPECT_TRUE(v.ok()) << q << ": " << (v.ok() ? "" : v.error().message);
  return v.ok() ? *v : -1;
}

TEST(Quantity, CpuAsTheApiWritesIt) {
  EXPECT_EQ(Milli("250m"), 250);
  EXPECT_EQ(Milli("1"), 1000);
  EXPECT_EQ(Milli("1.5"), 1500);
  EXPECT_EQ(Milli("0.1"), 100);
  EXPECT_EQ(Milli("2k"), 2'000'000);
  // metrics.k8s.io writes cpu in nanocores: MilliValue rounds up.
  EXPECT_EQ(Milli("250000000n"), 250);
  EXPECT_EQ(Milli("250000001n"), 251);
  EXPECT_EQ(Milli("1n"), 1);
  EXPECT_EQ(Milli("1000000001n"), 1001);
  EXPECT_EQ(Milli("5u"), 1);
}

TEST(Quantity, MemoryAsTheApiWritesIt) {
  EXPECT_EQ(Units("64Mi"), 64 * 1024 * 1024);
  EXPECT_EQ(Units("65536Ki"), 64 * 1024 * 1024);
  EXPECT_EQ(Units("1Gi"), int64_t{1} << 30);
  EXPECT_EQ(Units("128M"), 128'000'000);
  EXPECT_EQ(Units("1e3"), 1000);
  EXPECT_EQ(Units("1E6"), 1'000'000);
  EXPECT_EQ(Units("12e-1"), 2);  // Value rounds up
  EXPECT_EQ(Units("100m"), 1);
  EXPECT_EQ(Units("7Ei"), int64_t{7} << 60);
  EXPECT_EQ(Units("+5"), 5);
  EXPECT_EQ(Units("-5"), -5);
}

TEST(Quantity, NotAQuantityIsAClearError) {
  for (const char* bad :
       {"", "m", "1x", "1 Mi", "1Mii", "1e", "1e+", "abc", "1.2.3", "9Ei", "1e40"}) {
    auto v = ParseQuantity(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(v.error().message.find("is not a quantity"), std::string::npos) << v.error().message;
  }
}

}  // namespace
}  // namespace agentfleet::kube::meta
