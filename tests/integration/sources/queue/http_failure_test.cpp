// Failure paths of the HTTP queue sources (SQS, RabbitMQ) that need no real
// broker: a closed port, a port that accepts and never answers, and servers
// that reject the request while echoing it back. Every failure is typed,
// arrives within the timeout, and carries no credential.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/sources/queue/rabbitmq_protocol.h"
#include "controller/sources/queue/rabbitmq_source.h"
#include "controller/sources/queue/sqs_source.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using namespace std::chrono_literals;
using testing::BlackHole;
using testing::ClosedPort;
using testing::ExpectFailureWithin;
using testing::ExpectNoSecret;
using testing::ScriptedHttpServer;
using testing::UniqueToken;

constexpr auto kTimeout = 1500ms;

struct Kind {
  std::string name;
  // A source reading from `endpoint` (scheme://127.0.0.1:port).
  std::function<std::unique_ptr<QueueSource>(const std::string& endpoint)> make;
  std::vector<std::string> secrets;
};

Kind Sqs() {
  auto creds = std::make_shared<AwsCredentials>(
      AwsCredentials{"AKIDFAILURETEST", UniqueToken("sqs-secret"), UniqueToken("sqs-token")});
  return {"sqs",
          [creds](const std::string& endpoint) {
            SqsConfig c;
            c.queue_url = endpoint + "/000000000000/orders";
            c.region = "us-east-1";
            c.credentials = *creds;
            c.timeout = kTimeout;
            auto s = MakeSqsSource(c);
            EXPECT_TRUE(s.ok()) << s.error().message;
            return std::move(s).value();
          },
          {creds->secret_access_key, creds->session_token}};
}

Kind RabbitMq() {
  const std::string password = UniqueToken("rabbit-password");
  const std::string basic = rabbitmq::BasicAuthorization("agentfleet", password).substr(6);
  return {"rabbitmq",
          [password](const std::string& endpoint) {
            RabbitMqConfig c;
            c.endpoint = endpoint;
            c.queue = "orders";
            c.credentials = {"agentfleet", password};
            c.timeout = kTimeout;
            auto s = MakeRabbitMqSource(c);
            EXPECT_TRUE(s.ok()) << s.error().message;
            return std::move(s).value();
          },
          {password, basic}};
}

class HttpFailureTest : public ::testing::TestWithParam<Kind (*)()> {};

TEST_P(HttpFailureTest, ClosedPortIsUnavailableAtOnce) {
  Kind k = GetParam()();
  auto source = k.make("http://127.0.0.1:" + std::to_string(ClosedPort()));
  Error e = ExpectFailureWithin(*source, ErrorCode::kUnavailable, kTimeout);
  ExpectNoSecret(e, k.secrets);
  // What logs and events name the source by.
  ExpectNoSecret(MakeError(ErrorCode::kInternal, source->Describe()), k.secrets);
}

TEST_P(HttpFailureTest, SilentPortTimesOutWithinTheTimeout) {
  Kind k = GetParam()();
  BlackHole hole;
  for (const char* scheme : {"http", "https"}) {
    auto source = k.make(std::string(scheme) + "://127.0.0.1:" + std::to_string(hole.port()));
    const auto start = std::chrono::steady_clock::now();
    Error e = ExpectFailureWithin(*source, ErrorCode::kTimeout, kTimeout);
    EXPECT_GE(std::chrono::steady_clock::now() - start, kTimeout - 100ms)
        << scheme << ": gave up before the timeout";
    ExpectNoSecret(e, k.secrets);
  }
}

TEST_P(HttpFailureTest, RejectionsThatEchoTheRequestLeakNoCredential) {
  Kind k = GetParam()();
  // Each reply quotes the whole request (headers included) back, the worst a
  // server or proxy can do with an error message.
  struct Case {
    int status;
    std::function<std::string(const std::string&)> body;
    ErrorCode want;
  };
  auto quoted = [](const std::string& raw) { return nlohmann::json(raw).dump(); };
  std::vector<Case> cases = {
      {403, [&](const std::string& raw) { return raw; }, ErrorCode::kForbidden},
      {401, [&](const std::string& raw) { return raw; }, ErrorCode::kUnauthorized},
      {500, [&](const std::string& raw) { return raw; }, ErrorCode::kUnavailable},
  };
  if (k.name == "sqs") {
    cases.push_back(
        {400,
         [&](const std::string& raw) {
           return R"({"__type":"com.amazon.coral.service#InvalidClientTokenId","message":)" +
                  quoted(raw) + "}";
         },
         ErrorCode::kUnauthorized});
    cases.push_back(
        {400,
         [&](const std::string& raw) {
           return R"({"__type":"com.amazon.coral.service#AccessDeniedException","message":)" +
                  quoted(raw) + "}";
         },
         ErrorCode::kForbidden});
  } else {
    cases.push_back({401,
                     [&](const std::string& raw) {
                       return R"({"error":"not_authorized","reason":"Login failed )" +
                              nlohmann::json(raw).dump().substr(1) + "}";
                     },
                     ErrorCode::kUnauthorized});
  }
  for (const auto& c : cases) {
    std::string seen;
    ScriptedHttpServer server([&](const std::string& raw) {
      seen = raw;
      return ScriptedHttpServer::Reply{c.status, c.body(raw)};
    });
    auto source = k.make(server.url());
    Error e = ExpectFailureWithin(*source, c.want, kTimeout);
    ExpectNoSecret(e, k.secrets);
    // The test is only meaningful if a credential really was on the wire.
    bool carried = false;
    for (const auto& s : k.secrets) carried = carried || seen.find(s) != std::string::npos;
    EXPECT_TRUE(carried) << k.name << " sent no credential to echo";
  }
}

INSTANTIATE_TEST_SUITE_P(Sources, HttpFailureTest, ::testing::Values(&Sqs, &RabbitMq),
                         [](const auto& info) { return info.index == 0 ? "Sqs" : "RabbitMq"; });

}  // namespace
}  // namespace agentfleet::sources::queue
