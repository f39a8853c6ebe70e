#include "controller/base/net/resolve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>

namespace agentfleet::net {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(ResolveHost, Localhost) {
  auto r = ResolveHost("localhost", Steady::now() + 5s);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(Contains(*r, "127.0.0.1") || Contains(*r, "::1"));
}

TEST(ResolveHost, AddressLiteralsComeBackWithoutALookup) {
  // A deadline already passed: only a literal can answer in time.
  const auto past = Steady::now() - 1s;
  auto v4 = ResolveHost("10.1.2.3", past);
  ASSERT_TRUE(v4.ok()) << v4.error().ToString();
  EXPECT_EQ(*v4, std::vector<std::string>{"10.1.2.3"});
  auto v6 = ResolveHost("::1", past);
  ASSERT_TRUE(v6.ok()) << v6.error().ToString();
  EXPECT_EQ(*v6, std::vector<std::string>{"::1"});
}

TEST(ResolveHost, AnUnresolvableNameIsAClearErrorInTime) {
  const auto start = Steady::now();
  auto r = ResolveHost("does-not-exist.invalid", start + 2s);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == ErrorCode::kUnavailable || r.error().code == ErrorCode::kTimeout)
      << r.error().ToString();
  EXPECT_NE(r.error().message.find("does-not-exist.invalid"), std::string::npos)
      << r.error().message;
  EXPECT_LT(Steady::now() - start, 3s);
}

TEST(ResolveHost, ASlowResolverEndsAtTheDeadlineWithATimeoutNamingTheHost) {
  auto release = std::make_shared<std::promise<void>>();
  auto slow = [gate = release->get_future().share()](const std::string&) {
    gate.wait();
    return Result<std::vector<std::string>>(std::vector<std::string>{"10.0.0.1"});
  };
  const auto start = Steady::now();
  auto r = ResolveHost("queue.example", start + 100ms, slow);
  const auto took = Steady::now() - start;
  release->set_value();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().ToString();
  EXPECT_NE(r.error().message.find("queue.example"), std::string::npos) << r.error().message;
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 1s);
}

TEST(ResolveHost, TheLookupsAnswerIsPassedOn) {
  auto down = [](const std::string& host) -> Result<std::vector<std::string>> {
    return MakeError(ErrorCode::kUnavailable, "cannot resolve " + host + ": server failure");
  };
  auto r = ResolveHost("queue.example", Steady::now() + 1s, down);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot resolve queue.example: server failure");
}

TEST(ResolveHost, AnEmptyHostIsInvalid) {
  auto r = ResolveHost("", Steady::now() + 1s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace agentfleet::net
