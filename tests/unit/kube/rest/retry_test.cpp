// The REST client's retry policy against a local HTTP server that answers
// with scripted statuses: 429 is retried (after Retry-After), 5xx only on
// idempotent verbs, everything else at once returned.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "controller/kube/rest/client.h"
#include "controller/obs/http_server.h"

namespace agentfleet::kube::rest {
namespace {

using namespace std::chrono_literals;

class ScriptedServer {
 public:
  explicit ScriptedServer(std::deque<obs::HttpResponse> script) : script_(std::move(script)) {
    auto handler = [this](const obs::HttpRequest&) {
      ++calls_;
      std::lock_guard lock(mu_);
      if (script_.empty()) return obs::HttpResponse{200, "application/json", R"({"kind":"Pod"})"};
      auto r = script_.front();
      script_.pop_front();
      return r;
    };
    auto s = obs::HttpServer::Start({.bind_address = "127.0.0.1:0"},
                                    {{"/api/v1/namespaces/ns/pods/p", handler}});
    EXPECT_TRUE(s.ok());
    server_ = std::move(s).value();
  }
  std::unique_ptr<Client> NewClient(int max_retries = 3) {
    config::RestConfig cfg;
    cfg.server = "http://127.0.0.1:" + std::to_string(server_->port());
    return std::move(Client::Create(cfg, {.request_timeout = 5s,
                                          .max_retries = max_retries,
                                          .retry_initial_backoff = 10ms,
                                          .retry_max_backoff = 40ms}))
        .value();
  }
  int calls() const { return calls_; }

 private:
  std::mutex mu_;
  std::deque<obs::HttpResponse> script_;
  std::atomic<int> calls_{0};
  std::unique_ptr<obs::HttpServer> server_;
};

obs::HttpResponse Status(int code, const std::string& reason) {
  return {code, "application/json",
          R"({"kind":"Status","status":"Failure","reason":")" + reason +
              R"(","message":"scripted","code":)" + std::to_string(code) + "}"};
}

TEST(RestRetry, ThrottledRequestsHonourRetryAfter) {
  auto throttled = Status(429, "TooManyRequests");
  throttled.headers["Retry-After"] = "1";
  ScriptedServer server({throttled, Status(429, "TooManyRequests")});
  auto client = server.NewClient();
  auto start = std::chrono::steady_clock::now();
  auto r = client->Get(resources::kPods, "ns", "p");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(server.calls(), 3);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s) << "Retry-After: 1 was not honoured";
}

TEST(RestRetry, UnavailableIsRetriedOnIdempotentVerbsUpToTheLimit) {
  ScriptedServer server({Status(503, "ServiceUnavailable"), Status(503, "ServiceUnavailable"),
                         Status(503, "ServiceUnavailable"), Status(503, "ServiceUnavailable"),
                         Status(503, "ServiceUnavailable")});
  auto client = server.NewClient(/*max_retries=*/2);
  auto r = client->Get(resources::kPods, "ns", "p");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().http_status, 503);
  EXPECT_EQ(server.calls(), 3) << "one try and two retries";
}

TEST(RestRetry, DefiniteAnswersAreNotRetried) {
  ScriptedServer server(
      {Status(500, "InternalError"), Status(404, "NotFound"), Status(403, "Forbidden")});
  auto client = server.NewClient();
  auto a = client->Get(resources::kPods, "ns", "p");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(server.calls(), 1) << "500 without Retry-After is not retried";
  auto b = client->Get(resources::kPods, "ns", "p");
  EXPECT_EQ(b.error().code, ErrorCode::kNotFound);
  auto c = client->Get(resources::kPods, "ns", "p");
  EXPECT_EQ(c.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(c.error().reason, "Forbidden");
  EXPECT_EQ(server.calls(), 3);
}

TEST(RestRetry, NonIdempotentVerbsAreNotRetriedOnServerErrors) {
  // The scripted server only serves GET, so a PATCH gets 405 once: what matters
  // is that the client sent it exactly once.
  ScriptedServer server({});
  auto client = server.NewClient();
  auto r = client->Patch(resources::kPods, "ns", "p", PatchType::kJsonMerge, {{"a", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.calls(), 0) << "the handler never ran for a PATCH";
}

}  // namespace
}  // namespace agentfleet::kube::rest
