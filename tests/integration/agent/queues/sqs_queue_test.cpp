// The SQS task queue against a real SQS-compatible server (ElasticMQ, fixture
// `elasticmq`): receiving, settling, visibility kept while in work, dead
// letters; refusals from scripted servers, for what ElasticMQ never says.
#include "examples/agent/queues/sqs_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/agent/queues/sqs_test_support.h"

namespace agentfleet::agent::queues {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using sources::queue::testing::ExpectNoSecret;
using sources::queue::testing::ScriptedHttpServer;
using sources::queue::testing::UniqueToken;

class SqsQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(mq_.endpoint().empty());
    name_ = UniqueToken("tasks");
    url_ = mq_.Create(name_);
    dead_url_ = mq_.Create(name_ + "-dead");
    credentials_ = {"AKIDAGENTFLEETTEST", UniqueToken("sqs-secret"), UniqueToken("sqs-token")};
  }

  SqsQueueConfig Config(std::chrono::milliseconds visibility = 30s) {
    return {.queue_url = mq_.endpoint(),
            .queue_name = name_,
            .region = "us-east-1",
            .credentials = credentials_,
            .visibility_timeout = visibility,
            .timeout = 5s};
  }

  std::unique_ptr<SqsQueue> Open(SqsQueueConfig c) {
    auto q = SqsQueue::Open(std::move(c));
    EXPECT_TRUE(q.ok()) << q.error().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }

  // Receives until `n` messages came or a receive came back empty.
  static std::vector<Delivery> ReceiveAll(SqsQueue& q, size_t n) {
    std::vector<Delivery> out;
    while (out.size() < n) {
      auto got = q.Receive(10, 1s);
      EXPECT_TRUE(got.ok()) << got.error().ToString();
      if (!got.ok() || got->empty()) break;
      out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  }

  std::vector<std::string> Secrets() const {
    return {credentials_.secret_access_key, credentials_.session_token};
  }

  testing::ElasticMq mq_;
  std::string name_, url_, dead_url_;
  sources::queue::AwsCredentials credentials_;
};

TEST_F(SqsQueueTest, OpensByNameOrByUrlAndDescribesItselfWithoutSecrets) {
  auto by_name = Open(Config());
  ASSERT_NE(by_name, nullptr);
  EXPECT_EQ(by_name->queue_url(), url_);
  EXPECT_EQ(by_name->dead_letter_url(), dead_url_);
  EXPECT_EQ(by_name->Describe(), "sqs queue " + name_);

  SqsQueueConfig c = Config();
  c.queue_url = url_;
  c.queue_name = "";
  auto by_url = Open(c);
  ASSERT_NE(by_url, nullptr);
  EXPECT_EQ(by_url->queue_url(), url_);
  EXPECT_EQ(by_url->dead_letter_url(), dead_url_);
  EXPECT_EQ(by_url->KeepAlivePeriod(), 10s) << "a third of the visibility timeout";
}

TEST_F(SqsQueueTest, AMissingQueueFailsTheOpen) {
  SqsQueueConfig c = Config();
  c.queue_name = UniqueToken("absent");
  auto q = SqsQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound) << q.error().ToString();

  c.queue_url = mq_.endpoint() + "/000000000000/" + c.queue_name;
  c.queue_name = "";
  q = SqsQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound) << q.error().ToString();
}

TEST_F(SqsQueueTest, AMissingDeadLetterQueueFailsTheOpenNamingIt) {
  SqsQueueConfig c = Config();
  c.queue_name = UniqueToken("lonely");
  mq_.Create(c.queue_name);
  auto q = SqsQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(q.error().message, "dead-letter queue " + c.queue_name +
                                   "-dead does not exist: create it, or set --dead-letter-queue");

  c.dead_letter_queue = UniqueToken("elsewhere");
  q = SqsQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("dead-letter queue " + c.dead_letter_queue + " does not exist"),
            std::string::npos)
      << q.error().message;

  c.dead_letter_queue = name_ + "-dead";  // any existing queue will do
  EXPECT_NE(Open(c), nullptr);
}

TEST_F(SqsQueueTest, ReceivedAndDoneIsGone) {
  const auto before = std::chrono::system_clock::now() - 1s;
  for (int i = 0; i < 15; ++i) mq_.Send(url_, "task-" + std::to_string(i));
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto got = ReceiveAll(*q, 15);
  ASSERT_EQ(got.size(), 15u);
  std::set<std::string> bodies;
  for (const auto& d : got) {
    bodies.insert(d.body);
    EXPECT_FALSE(d.receipt.empty());
    ASSERT_TRUE(d.enqueued.has_value()) << "SentTimestamp asked for";
    EXPECT_GE(*d.enqueued, before);
    EXPECT_LE(*d.enqueued, std::chrono::system_clock::now() + 1s);
  }
  EXPECT_EQ(bodies.size(), 15u);
  EXPECT_EQ(mq_.Depth(url_), 15) << "in flight";

  ASSERT_TRUE(q->Done(got).ok()) << "two DeleteMessageBatch calls, 10 + 5";
  EXPECT_EQ(mq_.Depth(url_), 0);
  auto again = q->Receive(10, 1s);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_TRUE(q->Done({}).ok());
}

TEST_F(SqsQueueTest, AnEmptyReceiveLongPollsInsteadOfSpinning) {
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto got = q->Receive(10, 100ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_GE(took, 900ms) << "WaitTimeSeconds is at least 1";
  EXPECT_LT(took, 4s);
}

TEST_F(SqsQueueTest, ReturnedIsReceivableAgainAtOnce) {
  mq_.Send(url_, "back");
  auto q = Open(Config(60s));
  ASSERT_NE(q, nullptr);
  auto first = ReceiveAll(*q, 1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(q->Return(first).ok());
  const auto start = std::chrono::steady_clock::now();
  auto again = ReceiveAll(*q, 1);
  ASSERT_EQ(again.size(), 1u) << "not hidden for the 60 s visibility timeout";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(again[0].body, "back");
  ASSERT_TRUE(q->Done(again).ok());
  EXPECT_EQ(mq_.Depth(url_), 0);
}

TEST_F(SqsQueueTest, KeptAliveStaysHiddenPastTheVisibilityTimeoutAndReturnsWhenNot) {
  mq_.Send(url_, "long work");
  auto worker = Open(Config(2s));
  auto other = Open(Config(2s));
  ASSERT_NE(worker, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(worker->KeepAlivePeriod(), 1s) << "a third of 2 s, at least 1 s";
  auto in_work = ReceiveAll(*worker, 1);
  ASSERT_EQ(in_work.size(), 1u);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread keeper([&] {
    while (!stop) {
      if (!worker->KeepAlive(in_work).ok()) ++failures;
      std::this_thread::sleep_for(500ms);
    }
  });
  const auto end = std::chrono::steady_clock::now() + 5s;  // 2.5 visibility timeouts
  while (std::chrono::steady_clock::now() < end) {
    auto got = other->Receive(1, 1s);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_TRUE(got->empty()) << "delivered to another consumer while kept alive";
    if (!got->empty()) break;
  }
  stop = true;
  keeper.join();
  EXPECT_EQ(failures, 0);

  // Not kept alive: back within the visibility timeout.
  std::vector<Delivery> back;
  const auto deadline = std::chrono::steady_clock::now() + 8s;
  while (back.empty() && std::chrono::steady_clock::now() < deadline) back = ReceiveAll(*other, 1);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].body, "long work");
  EXPECT_TRUE(worker->KeepAlive({}).ok()) << "nothing in work: nothing to do";
}

TEST_F(SqsQueueTest, DeadLetteredLandsInTheDeadLetterQueueWithItsReason) {
  mq_.Send(url_, "this is no task");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto got = ReceiveAll(*q, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(q->DeadLetter(got[0], "not a JSON object: \x01 at offset 0").ok());
  EXPECT_EQ(mq_.Depth(url_), 0) << "the original is deleted";

  const json dead = mq_.Drain(dead_url_);
  ASSERT_EQ(dead.size(), 1u) << dead.dump();
  EXPECT_EQ(dead[0]["Body"], "this is no task");
  const json& attrs = dead[0]["MessageAttributes"];
  EXPECT_EQ(attrs["reason"]["StringValue"], "not a JSON object: ? at offset 0") << dead.dump();
  EXPECT_EQ(attrs["reason"]["DataType"], "String");
  EXPECT_EQ(attrs["source"]["StringValue"], name_);
}

TEST_F(SqsQueueTest, StaleReceiptsFailNamingTheCountNotTheHandles) {
  mq_.Send(url_, "one");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto got = ReceiveAll(*q, 1);
  ASSERT_EQ(got.size(), 1u);
  std::vector<Delivery> mixed = got;
  mixed.push_back({"x", "stale-" + UniqueToken("receipt"), {}});
  auto s = q->Done(mixed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("1 of 2 messages failed"), std::string::npos)
      << s.error().message;
  EXPECT_EQ(s.error().message.find(mixed[1].receipt), std::string::npos) << s.error().message;
  EXPECT_EQ(mq_.Depth(url_), 0) << "the valid one is deleted all the same";
}

// What the scripted servers below answer an SQS call, by its X-Amz-Target.
std::string Target(const std::string& raw) {
  const size_t at = raw.find("AmazonSQS.");
  return at == std::string::npos ? "" : raw.substr(at + 10, raw.find("\r\n", at) - at - 10);
}

std::string HeaderOf(const std::string& raw, const std::string& name) {
  const size_t at = raw.find(name + ": ");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 2;
  return raw.substr(from, raw.find("\r\n", from) - from);
}

TEST_F(SqsQueueTest, RefusedCredentialsAreAClearErrorWithoutTheSecret) {
  // As AWS does on a bad signature, the answer quotes what was signed; this
  // one quotes more than AWS would, the secret key included.
  std::mutex mu;
  std::string signature;
  ScriptedHttpServer aws([&](const std::string& raw) {
    const std::string auth = HeaderOf(raw, "Authorization");
    std::lock_guard lock(mu);
    signature = auth.substr(auth.find("Signature=") + 10);
    return ScriptedHttpServer::Reply{
        403, json{{"__type", "com.amazon.coral.service#SignatureDoesNotMatch"},
                  {"message", "The request signature we calculated does not match. token=" +
                                  HeaderOf(raw, "X-Amz-Security-Token") + " signature=" +
                                  signature + " secret=" + credentials_.secret_access_key}}
                 .dump()};
  });
  SqsQueueConfig c = Config();
  c.queue_url = aws.url();
  auto q = SqsQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kUnauthorized) << q.error().ToString();
  EXPECT_NE(q.error().message.find("SignatureDoesNotMatch"), std::string::npos)
      << q.error().message;
  EXPECT_NE(q.error().message.find("sqs queue " + name_), std::string::npos) << q.error().message;
  std::lock_guard lock(mu);
  ASSERT_FALSE(signature.empty());
  ExpectNoSecret(q.error(), {credentials_.secret_access_key, credentials_.session_token, signature,
                             credentials_.access_key_id});
}

TEST_F(SqsQueueTest, RefusalsQuoteNoReceiptHandle) {
  const std::string receipt = UniqueToken("receipt-handle");
  ScriptedHttpServer sqs([&](const std::string& raw) -> ScriptedHttpServer::Reply {
    const std::string action = Target(raw);
    if (action == "GetQueueUrl") {
      return {200, json{{"QueueUrl", "http://127.0.0.1/000000000000/q"}}.dump()};
    }
    if (action == "GetQueueAttributes") return {200, R"({"Attributes":{}})"};
    // The request's body echoed, receipts and all.
    const std::string body = raw.substr(raw.find("\r\n\r\n") + 4);
    if (action == "DeleteMessage") {
      return {400, json{{"__type", "com.amazonaws.sqs#ReceiptHandleIsInvalid"},
                        {"message", "The input receipt handle is invalid: " + body}}
                       .dump()};
    }
    return {200, json{{"Successful", json::array()},
                      {"Failed",
                       {{{"Id", "0"},
                         {"SenderFault", true},
                         {"Code", "ReceiptHandleIsInvalid"},
                         {"Message", "The receipt handle " + receipt + " is invalid"}}}}}
                     .dump()};
  });
  SqsQueueConfig c = Config();
  c.queue_url = sqs.url();
  auto q = Open(c);
  ASSERT_NE(q, nullptr);
  const Delivery d{"body", receipt, {}};

  auto s = q->DeadLetter(d, "no task");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("ReceiptHandleIsInvalid"), std::string::npos);
  ExpectNoSecret(s.error(), {receipt});

  for (auto st : {q->Done({&d, 1}), q->Return({&d, 1}), q->KeepAlive({&d, 1})}) {
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("1 of 1 messages failed (ReceiptHandleIsInvalid)"),
              std::string::npos)
        << st.error().message;
    ExpectNoSecret(st.error(), {receipt});
  }
}

}  // namespace
}  // namespace agentfleet::agent::queues
