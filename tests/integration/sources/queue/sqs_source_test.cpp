// The SQS source against a real SQS-compatible server (ElasticMQ, fixture
// `elasticmq`): exact depths after known sends, receives and delays.
#include "controller/sources/queue/sqs_source.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::ExpectFailureWithin;
using testing::ExpectNoSecret;
using testing::UniqueToken;

constexpr const char* kDirEnv = "AGENTFLEET_ELASTICMQ_DIR";

class SqsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = testing::FixtureFile(kDirEnv, "url");
    ASSERT_FALSE(endpoint_.empty());
    credentials_ = {"AKIDAGENTFLEETTEST", UniqueToken("sqs-secret"), UniqueToken("sqs-token")};
  }

  // A call made the way the source makes them (signed JSON protocol).
  json Call(const std::string& action, const json& body) {
    auto url = ParseUrl(endpoint_);
    EXPECT_TRUE(url.ok());
    auto req = sqs::SignedCall(*url, action, body.dump(), credentials_, "us-east-1",
                               AmzDate(std::chrono::system_clock::now()));
    auto res = HttpFetch(req, {}, 5s);
    if (!res.ok()) {
      ADD_FAILURE() << action << ": " << res.error().ToString();
      return {};
    }
    EXPECT_EQ(res->status, 200) << action << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  std::string CreateQueue() {
    const std::string name = UniqueToken("q");
    return Call("CreateQueue", {{"QueueName", name}})["QueueUrl"].get<std::string>();
  }

  void Send(const std::string& queue_url, int n, int delay_seconds = 0) {
    for (int i = 0; i < n; ++i) {
      json body{{"QueueUrl", queue_url}, {"MessageBody", "task-" + std::to_string(i)}};
      if (delay_seconds > 0) body["DelaySeconds"] = delay_seconds;
      Call("SendMessage", body);
    }
  }

  // Receives up to n messages, hidden for 120 s; returns their receipt handles.
  std::vector<std::string> Receive(const std::string& queue_url, int n) {
    auto res =
        Call("ReceiveMessage",
             {{"QueueUrl", queue_url}, {"MaxNumberOfMessages", n}, {"VisibilityTimeout", 120}});
    std::vector<std::string> handles;
    for (const auto& m : res["Messages"]) handles.push_back(m["ReceiptHandle"].get<std::string>());
    return handles;
  }

  SqsConfig Config(const std::string& queue_url) {
    SqsConfig c;
    c.queue_url = queue_url;
    c.region = "us-east-1";
    c.credentials = credentials_;
    c.timeout = 3s;
    return c;
  }

  int64_t Depth(SqsConfig c) {
    auto source = MakeSqsSource(std::move(c));
    EXPECT_TRUE(source.ok()) << source.error().message;
    auto d = (*source)->ReadDepth();
    EXPECT_TRUE(d.ok()) << d.error().ToString();
    EXPECT_TRUE(d->shards.empty());
    return d.ok() ? d->total : -1;
  }

  std::vector<std::string> Secrets() const {
    return {credentials_.secret_access_key, credentials_.session_token};
  }

  std::string endpoint_;
  AwsCredentials credentials_;
};

TEST_F(SqsSourceTest, EmptyQueueIsZero) {
  EXPECT_EQ(Depth(Config(CreateQueue())), 0);
}

TEST_F(SqsSourceTest, DepthCountsVisibleInFlightAndDelayedAsConfigured) {
  const std::string q = CreateQueue();
  Send(q, 6);
  Send(q, 2, /*delay_seconds=*/300);
  ASSERT_EQ(Receive(q, 4).size(), 4u);  // 2 visible, 4 in flight, 2 delayed

  SqsConfig c = Config(q);
  EXPECT_EQ(Depth(c), 2 + 4) << "default: visible + in flight (scaleOnInFlight)";
  c.scale_on_in_flight = false;
  EXPECT_EQ(Depth(c), 2) << "visible only";
  c.scale_on_delayed = true;
  EXPECT_EQ(Depth(c), 2 + 2) << "visible + delayed";
  c.scale_on_in_flight = true;
  EXPECT_EQ(Depth(c), 2 + 4 + 2) << "everything";
}

TEST_F(SqsSourceTest, DeletingReceivedMessagesLowersTheDepth) {
  const std::string q = CreateQueue();
  Send(q, 5);
  auto source = MakeSqsSource(Config(q));
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->ReadDepth()->total, 5);
  auto handles = Receive(q, 3);
  ASSERT_EQ(handles.size(), 3u);
  EXPECT_EQ((*source)->ReadDepth()->total, 5) << "received but not deleted: still in flight";
  for (const auto& h : handles) Call("DeleteMessage", {{"QueueUrl", q}, {"ReceiptHandle", h}});
  EXPECT_EQ((*source)->ReadDepth()->total, 2);
  Send(q, 4);
  EXPECT_EQ((*source)->ReadDepth()->total, 6);
}

TEST_F(SqsSourceTest, QueueNameIsResolvedThroughTheEndpointOverride) {
  const std::string q = CreateQueue();
  Send(q, 3);
  SqsConfig c = Config("");
  c.queue_name = q.substr(q.rfind('/') + 1);
  c.endpoint = endpoint_;
  EXPECT_EQ(Depth(c), 3);
}

TEST_F(SqsSourceTest, MissingQueueIsNotFound) {
  SqsConfig by_url = Config(endpoint_ + "/000000000000/" + UniqueToken("absent"));
  auto source = MakeSqsSource(by_url);
  ASSERT_TRUE(source.ok());
  auto d = (*source)->ReadDepth();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kNotFound) << d.error().ToString();
  ExpectNoSecret(d.error(), Secrets());

  SqsConfig by_name = Config("");
  by_name.queue_name = UniqueToken("absent");
  by_name.endpoint = endpoint_;
  source = MakeSqsSource(by_name);
  ASSERT_TRUE(source.ok());
  d = (*source)->ReadDepth();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kNotFound) << d.error().ToString();
}

TEST_F(SqsSourceTest, TlsToAPlainHttpServerFailsTypedAndQuickly) {
  SqsConfig c = Config(CreateQueue());
  c.endpoint = "https" + endpoint_.substr(4);
  auto source = MakeSqsSource(c);
  ASSERT_TRUE(source.ok());
  const Error e = ExpectFailureWithin(**source, ErrorCode::kUnavailable, c.timeout);
  EXPECT_NE(e.message.find("TLS"), std::string::npos) << e.message;
  ExpectNoSecret(e, Secrets());
}

}  // namespace
}  // namespace agentfleet::sources::queue
