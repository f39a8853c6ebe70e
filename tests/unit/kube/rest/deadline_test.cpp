// The REST client's bounds against a local server that hangs, throttles or
// records what reaches it: a ScopedDeadline ends a call, its timeouts and
// retries included, and a write its gate refuses is never sent.
#include <gtest/gtest.h>

#include "controller/kube/rest/client.h"
#include "tests/support/recording_http_server.h"

namespace agentfleet::kube::rest {
namespace {

using namespace std::chrono_literals;
using testing::RecordingHttpServer;
using testing::ScriptedReply;
using SteadyClock = std::chrono::steady_clock;

const Json kPod = {{"metadata", {{"name", "p"}}}};

std::unique_ptr<Client> NewClient(const RecordingHttpServer& server, ClientOptions options = {}) {
  config::RestConfig cfg;
  cfg.server = server.url();
  options.retry_initial_backoff = 10ms;
  return std::move(Client::Create(cfg, std::move(options))).value();
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

TEST(RestDeadline, AHangingServerIsGivenUpAtTheDeadline) {
  RecordingHttpServer server(
      [](const std::string&, const std::string&) { return ScriptedReply{.delay = 20s}; });
  auto client = NewClient(server, {.request_timeout = 30s});
  const auto start = SteadyClock::now();
  ScopedDeadline bound(start + 300ms);
  auto got = client->Get(resources::kPods, "ns", "p");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kTimeout);
  EXPECT_NE(got.error().message.find("deadline exceeded"), std::string::npos)
      << got.error().message;
  EXPECT_GE(SecondsSince(start), 0.29);
  EXPECT_LT(SecondsSince(start), 1.0) << "the 30 s request timeout was waited out";
}

TEST(RestDeadline, RetriesAndRetryAfterEndByTheDeadline) {
  RecordingHttpServer server([](const std::string&, const std::string&) {
    return ScriptedReply{.status = 429,
                         .body = R"({"kind":"Status","reason":"TooManyRequests","code":429})",
                         .headers = {{"Retry-After", "5"}}};
  });
  auto client = NewClient(server, {.max_retries = 5});
  const auto start = SteadyClock::now();
  ScopedDeadline bound(start + 500ms);
  auto got = client->Get(resources::kPods, "ns", "p");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kTooManyRequests) << "the server's own answer";
  EXPECT_LT(SecondsSince(start), 0.5) << "a 5 s Retry-After past the deadline is not begun";
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(RestDeadline, NestedScopesKeepTheEarlierDeadline) {
  EXPECT_FALSE(ScopedDeadline::Current());
  const auto now = SteadyClock::now();
  {
    ScopedDeadline outer(now + 1s);
    {
      ScopedDeadline inner(now + 10s);
      EXPECT_EQ(ScopedDeadline::Current(), now + 1s);
      ScopedDeadline innermost(now + 100ms);
      EXPECT_EQ(ScopedDeadline::Current(), now + 100ms);
    }
    EXPECT_EQ(ScopedDeadline::Current(), now + 1s);
  }
  EXPECT_FALSE(ScopedDeadline::Current());
}

TEST(RestWriteGate, ARefusedWriteIsNeverSentAndReadsGoOn) {
  RecordingHttpServer server(
      [](const std::string&, const std::string&) { return ScriptedReply{}; });
  auto client = NewClient(server, {.write_gate = []() -> Result<SteadyClock::time_point> {
                            return MakeError(ErrorCode::kUnavailable, "not the leader");
                          }});
  auto created = client->Create(resources::kPods, "ns", kPod);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(created.error().message.find("not the leader"), std::string::npos);
  EXPECT_FALSE(client->Update(resources::kPods, "ns", kPod).ok());
  EXPECT_FALSE(client->Patch(resources::kPods, "ns", "p", PatchType::kJsonMerge, kPod).ok());
  EXPECT_FALSE(client->Delete(resources::kPods, "ns", "p").ok());
  EXPECT_TRUE(server.requests().empty()) << server.requests().front();
  EXPECT_TRUE(client->Get(resources::kPods, "ns", "p").ok());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(RestWriteGate, EveryRetryAsksTheGateAgain) {
  RecordingHttpServer server([](const std::string&, const std::string&) {
    return ScriptedReply{.status = 503,
                         .body = R"({"kind":"Status","reason":"ServiceUnavailable","code":503})"};
  });
  // The term ends once the first attempt has gone out.
  auto client =
      NewClient(server, {.max_retries = 5, .write_gate = [&]() -> Result<SteadyClock::time_point> {
                           if (!server.requests().empty()) {
                             return MakeError(ErrorCode::kUnavailable, "not the leader");
                           }
                           return SteadyClock::now() + 10s;
                         }});
  auto updated = client->Update(resources::kPods, "ns", kPod);  // PUT: retried on 503
  ASSERT_FALSE(updated.ok());
  EXPECT_NE(updated.error().message.find("not the leader"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u) << "the retry went out after the gate closed";
}

TEST(RestWriteGate, AWriteIsAbandonedWhenTheTermEnds) {
  RecordingHttpServer server(
      [](const std::string&, const std::string&) { return ScriptedReply{.delay = 20s}; });
  const auto start = SteadyClock::now();
  auto client = NewClient(
      server, {.request_timeout = 30s, .write_gate = [start]() -> Result<SteadyClock::time_point> {
                 return start + 300ms;
               }});
  auto patched = client->Patch(resources::kPods, "ns", "p", PatchType::kJsonMerge, kPod);
  ASSERT_FALSE(patched.ok());
  EXPECT_EQ(patched.error().code, ErrorCode::kTimeout);
  EXPECT_LT(SecondsSince(start), 1.0);
}

}  // namespace
}  // namespace agentfleet::kube::rest
