#include "controller/base/net/resolve_tcp.h"

#include <gtest/gtest.h>

namespace agentfleet::net {
namespace {

using namespace std::chrono_literals;

TEST(ResolveTcp, EveryAddressCarriesThePort) {
  auto r = ResolveTcp("localhost", 6379, std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_FALSE(r->empty());
  for (const auto& e : *r) {
    EXPECT_TRUE(e.address().is_loopback()) << e.address().to_string();
    EXPECT_EQ(e.port(), 6379);
  }
}

TEST(ResolveTcp, ALiteralNeedsNoTime) {
  auto r = ResolveTcp("::1", 443, std::chrono::steady_clock::now() - 1s);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().address().to_string(), "::1");
  EXPECT_EQ(r->front().port(), 443);
}

TEST(ResolveTcp, FailuresAreResolveHostErrors) {
  auto r = ResolveTcp("", 80, std::chrono::steady_clock::now() + 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace agentfleet::net
