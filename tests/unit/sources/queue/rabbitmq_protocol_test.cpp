#include "controller/sources/queue/rabbitmq_protocol.h"

#include <gtest/gtest.h>

#include "controller/sources/queue/rabbitmq_source.h"

namespace agentfleet::sources::queue {
namespace {

HttpResponse Answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(RabbitMqProtocolTest, QueuePathEncodesVhostAndQueueWhole) {
  EXPECT_EQ(rabbitmq::QueuePath("/", "/", "orders"), "/api/queues/%2F/orders");
  EXPECT_EQ(rabbitmq::QueuePath("", "fleet/a b", "q.1/x"), "/api/queues/fleet%2Fa%20b/q.1%2Fx");
  EXPECT_EQ(rabbitmq::QueuePath("/rabbit/", "prod", "q"), "/rabbit/api/queues/prod/q");
}

TEST(RabbitMqProtocolTest, BasicAuthorization) {
  // RFC 7617's example.
  EXPECT_EQ(rabbitmq::BasicAuthorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST(RabbitMqProtocolTest, DepthIsReadyPlusOptionallyUnacked) {
  auto r = Answer(200, R"({"messages_ready":7,"messages_unacknowledged":3})");
  EXPECT_EQ(*rabbitmq::DepthFromResponse(r, false, "q"), 7);
  EXPECT_EQ(*rabbitmq::DepthFromResponse(r, true, "q"), 10);
}

TEST(RabbitMqProtocolTest, MissingCountersAreUnavailableNotZero) {
  auto d = rabbitmq::DepthFromResponse(Answer(200, R"({"name":"q"})"), false, "q");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
  d = rabbitmq::DepthFromResponse(Answer(200, R"({"messages_ready":1})"), true, "q");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
}

TEST(RabbitMqProtocolTest, MalformedAnswersAreInternal) {
  for (const char* body : {"[]", "nope", R"({"messages_ready":"7"})", R"({"messages_ready":-2})"}) {
    auto d = rabbitmq::DepthFromResponse(Answer(200, body), false, "q");
    ASSERT_FALSE(d.ok()) << body;
    EXPECT_EQ(d.error().code, ErrorCode::kInternal) << body;
  }
}

// Each count may be valid and their sum still past 64 bits (undefined
// behaviour before: it wrapped to a negative depth).
TEST(RabbitMqProtocolTest, ASumPast64BitsIsAnErrorNotAWrappedDepth) {
  auto r = Answer(200, R"({"messages_ready":9223372036854775807,"messages_unacknowledged":1})");
  auto d = rabbitmq::DepthFromResponse(r, true, "q");
  ASSERT_FALSE(d.ok()) << "read as " << *d;
  EXPECT_EQ(d.error().code, ErrorCode::kInternal);
  EXPECT_NE(d.error().message.find("overflow"), std::string::npos) << d.error().message;
}

TEST(RabbitMqProtocolTest, ErrorsAreTyped) {
  struct Case {
    int status;
    const char* body;
    ErrorCode want;
  };
  for (const Case& c : std::vector<Case>{
           {401, R"({"error":"not_authorized","reason":"Login failed"})", ErrorCode::kUnauthorized},
           {401,
            R"({"error":"not_authorised","reason":"User not authorised to access virtual host"})",
            ErrorCode::kForbidden},
           {401, R"({"error":"not_authorised","reason":"Not management user"})",
            ErrorCode::kForbidden},
           {401, R"({"error":"not_authorised","reason":"Not administrator user"})",
            ErrorCode::kForbidden},
           {401, "<html>proxy says no</html>", ErrorCode::kUnauthorized},
           {403, "", ErrorCode::kForbidden},
           {404, R"({"error":"Object Not Found","reason":"Not Found"})", ErrorCode::kNotFound},
           {500, "boom", ErrorCode::kUnavailable},
           {503, "", ErrorCode::kUnavailable},
           {400, "{}", ErrorCode::kInvalidArgument},
       }) {
    auto d = rabbitmq::DepthFromResponse(Answer(c.status, c.body), false, "rabbitmq queue q");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, c.want) << c.status << " " << c.body;
    EXPECT_NE(d.error().message.find("rabbitmq queue q"), std::string::npos);
  }
}

TEST(RabbitMqSourceConfigTest, RejectsConfigurationsThatCannotWork) {
  RabbitMqConfig good;
  good.endpoint = "http://127.0.0.1:15672";
  good.queue = "q";
  good.credentials = {"user", "pw-config-test"};
  ASSERT_TRUE(MakeRabbitMqSource(good).ok());
  std::vector<RabbitMqConfig> bad(6, good);
  bad[0].queue.clear();
  bad[1].vhost.clear();
  bad[2].credentials.username.clear();
  bad[3].endpoint = "amqp://127.0.0.1:5672";
  bad[4].endpoint = "http://127.0.0.1:15672/?x=1";
  bad[5].timeout = std::chrono::milliseconds(-1);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto s = MakeRabbitMqSource(bad[i]);
    ASSERT_FALSE(s.ok()) << i;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << i;
  }
}

TEST(RabbitMqSourceConfigTest, DescribeNamesQueueVhostAndEndpointOnly) {
  RabbitMqConfig c;
  c.endpoint = "https://mq.internal:15671";
  c.vhost = "prod";
  c.queue = "orders";
  c.credentials = {"user", "pw-describe-test"};
  auto s = MakeRabbitMqSource(c);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Describe(), "rabbitmq queue orders in vhost prod at https://mq.internal:15671");
}

}  // namespace
}  // namespace agentfleet::sources::queue
