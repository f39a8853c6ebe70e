// The RabbitMQ task queue against a real broker (fixture `rabbitmq`):
// settling, returning, prefetch, dead-lettering with publisher confirms,
// refused opens, a broken connection, and what the broker gives back when
// a consumer goes away.
#include "examples/agent/queues/rabbitmq_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/integration/agent/queues/rabbitmq_broker.h"

namespace agentfleet::agent::queues {
namespace {

using namespace std::chrono_literals;
using testing::Broker;
using testing::UniqueName;

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// No secret, nor any 10-character piece of one, in `text`.
void ExpectNoSecret(const std::string& text, const std::string& secret) {
  ASSERT_GE(secret.size(), 10u);
  for (size_t i = 0; i + 10 <= secret.size(); ++i) {
    EXPECT_EQ(text.find(secret.substr(i, 10)), std::string::npos) << "secret leaked: " << text;
  }
}

class RabbitMqQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { queue_ = broker_.DeclareQueue("tasks.eu/q"); }

  RabbitMqConfig Config(int prefetch = 10) {
    return {.url = broker_.Parsed(broker_.user(), broker_.password()),
            .queue = queue_,
            .prefetch = prefetch,
            .rpc_timeout = 5s};
  }

  std::unique_ptr<RabbitMqQueue> Open(RabbitMqConfig c) {
    auto q = RabbitMqQueue::Open(std::move(c));
    EXPECT_TRUE(q.ok()) << q.error().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }

  // Receives until `n` messages came or `within` passed.
  std::vector<Delivery> ReceiveN(TaskQueue& q, size_t n, std::chrono::milliseconds within = 5s) {
    std::vector<Delivery> out;
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto got = q.Receive(static_cast<int>(n - out.size()), 200ms);
      EXPECT_TRUE(got.ok()) << got.error().ToString();
      if (!got.ok()) break;
      for (auto& d : *got) out.push_back(std::move(d));
    }
    return out;
  }

  Broker broker_;
  std::string queue_;
};

TEST_F(RabbitMqQueueTest, ReceivedAndDoneIsGoneForGood) {
  broker_.Publish(queue_, "a", 1'700'000'000);
  broker_.Publish(queue_, "b");
  broker_.Publish(queue_, "c");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->Describe(),
            "rabbitmq queue " + queue_ + " on " + broker_.Parsed("u", "p").Endpoint());
  auto got = ReceiveN(*q, 3);
  ASSERT_EQ(got.size(), 3u);
  std::set<std::string> bodies, receipts;
  for (const auto& d : got) {
    bodies.insert(d.body);
    receipts.insert(d.receipt);
    if (d.body == "a") {
      ASSERT_TRUE(d.enqueued.has_value()) << "the timestamp property";
      EXPECT_EQ(std::chrono::system_clock::to_time_t(*d.enqueued), 1'700'000'000);
    } else {
      EXPECT_FALSE(d.enqueued.has_value());
    }
  }
  EXPECT_EQ(bodies, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(receipts.size(), 3u);
  ASSERT_TRUE(q->Done(got).ok());
  auto again = q->Done(got);
  ASSERT_FALSE(again.ok()) << "settled twice";
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  auto none = q->Receive(10, 300ms);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  q.reset();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(broker_.Ready(queue_), 0);
}

TEST_F(RabbitMqQueueTest, ReturnedIsDeliveredAgain) {
  broker_.Publish(queue_, "again");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto first = ReceiveN(*q, 1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(q->Return(first).ok());
  auto second = ReceiveN(*q, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].body, "again");
  EXPECT_NE(second[0].receipt, first[0].receipt);
  EXPECT_FALSE(q->Done(first).ok()) << "the returned delivery's receipt is spent";
  ASSERT_TRUE(q->Done(second).ok());
  q.reset();
  EXPECT_EQ(broker_.Ready(queue_), 0);
}

TEST_F(RabbitMqQueueTest, NoMoreThanThePrefetchIsInWork) {
  for (int i = 0; i < 10; ++i) broker_.Publish(queue_, "m" + std::to_string(i));
  auto q = Open(Config(3));
  ASSERT_NE(q, nullptr);
  std::vector<Delivery> held;
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) {
    auto got = q->Receive(10, 100ms);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    held.insert(held.end(), got->begin(), got->end());
    ASSERT_LE(held.size(), 3u);
  }
  EXPECT_EQ(held.size(), 3u);
  EXPECT_EQ(broker_.Ready(queue_), 7);
  ASSERT_TRUE(q->Done(held).ok());
  auto next = ReceiveN(*q, 3);
  EXPECT_EQ(next.size(), 3u);
  auto more = q->Receive(10, 300ms);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty()) << "three in work again";
}

TEST_F(RabbitMqQueueTest, DeadLetteredLandsInTheDeadLetterQueueWithItsReason) {
  broker_.Publish(queue_, "{not json");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dead_letter_queue(), queue_ + ".dead");
  auto got = ReceiveN(*q, 1);
  ASSERT_EQ(got.size(), 1u);
  const std::string reason = "invalid task: " + std::string(3000, 'x');
  ASSERT_TRUE(q->DeadLetter(got[0], reason).ok());
  EXPECT_FALSE(q->Done(got).ok()) << "dead-lettering settled it";
  q.reset();
  EXPECT_EQ(broker_.Ready(queue_), 0) << "acked, so not back after the close";
  EXPECT_EQ(broker_.Ready(queue_ + ".dead"), 1);
  auto dead = broker_.Get(queue_ + ".dead");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "{not json");
  EXPECT_TRUE(dead->persistent);
  EXPECT_EQ(dead->headers["x-agentfleet-source"], queue_);
  const std::string& stored = dead->headers["x-agentfleet-reason"];
  EXPECT_EQ(stored.rfind("invalid task: xxx", 0), 0u) << stored;
  EXPECT_LE(stored.size(), 1024u) << "cut short";
}

TEST_F(RabbitMqQueueTest, AnExplicitDeadLetterQueueIsDeclaredAndUsed) {
  const std::string dead = UniqueName("elsewhere");
  broker_.Publish(queue_, "x");
  RabbitMqConfig c = Config();
  c.dead_letter_queue = dead;
  auto q = Open(c);
  ASSERT_NE(q, nullptr);
  auto got = ReceiveN(*q, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(q->DeadLetter(got[0], "bad").ok());
  EXPECT_EQ(broker_.Ready(dead), 1);
}

TEST_F(RabbitMqQueueTest, AGoneDeadLetterQueueKeepsTheTask) {
  broker_.Publish(queue_, "x");
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto got = ReceiveN(*q, 1);
  ASSERT_EQ(got.size(), 1u);
  broker_.DeleteQueue(queue_ + ".dead");
  auto s = q->DeadLetter(got[0], "bad");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("did not take the copy"), std::string::npos)
      << s.error().message;
  // Not acked: the task is delivered again.
  auto again = ReceiveN(*q, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].body, "x");
}

TEST_F(RabbitMqQueueTest, AMissingTaskQueueFailsTheOpenNamingIt) {
  RabbitMqConfig c = Config();
  c.queue = UniqueName("absent");
  auto q = RabbitMqQueue::Open(c);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound);
  EXPECT_NE(q.error().message.find("task queue '" + c.queue + "' does not exist"),
            std::string::npos)
      << q.error().message;
}

TEST_F(RabbitMqQueueTest, AWrongPasswordIsRefusedWithoutEchoingIt) {
  RabbitMqConfig c = Config();
  c.url.password = UniqueName("wrong-password");
  const auto start = std::chrono::steady_clock::now();
  auto q = RabbitMqQueue::Open(c);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 6s);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kUnauthorized) << q.error().ToString();
  EXPECT_NE(q.error().message.find("logging in as '" + broker_.user() + "'"), std::string::npos)
      << q.error().message;
  ExpectNoSecret(q.error().ToString(), c.url.password);
  ExpectNoSecret(q.error().ToString(), broker_.password());
}

TEST_F(RabbitMqQueueTest, UnsettledMessagesComeBackWhenTheQueueIsGone) {
  for (int i = 0; i < 4; ++i) broker_.Publish(queue_, "u" + std::to_string(i));
  auto q = Open(Config());
  ASSERT_NE(q, nullptr);
  auto got = ReceiveN(*q, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(broker_.Ready(queue_), 0);
  q.reset();
  EXPECT_TRUE(Eventually([&] { return broker_.Ready(queue_) == 4; }, 5s)) << broker_.Ready(queue_);
}

TEST_F(RabbitMqQueueTest, ABrokenConnectionIsReconnectedAndOldReceiptsSettleNothing) {
  const std::string user = UniqueName("agent"), password = UniqueName("agent-password");
  broker_.CreateUser(user, password);
  broker_.Publish(queue_, "p1");
  broker_.Publish(queue_, "p2");
  RabbitMqConfig c = Config();
  c.url = broker_.Parsed(user, password);
  auto q = Open(c);
  ASSERT_NE(q, nullptr);
  auto old = ReceiveN(*q, 2);
  ASSERT_EQ(old.size(), 2u);
  // The management API lists a connection a moment after it opened.
  ASSERT_TRUE(Eventually([&] { return broker_.CloseConnectionsOf(user) > 0; }, 10s));
  // The broker's close is noticed (as an error, not a crash) by a keep-alive
  // or a receive; settling then fails cleanly.
  ASSERT_TRUE(Eventually([&] { return !q->KeepAlive(old).ok(); }, 5s));
  auto s = q->Done(old);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable) << s.error().ToString();
  // The next receives reconnect and get both again, under new receipts; the
  // old ones, same tags on the new channel or not, settle nothing.
  auto again = ReceiveN(*q, 2, 10s);
  ASSERT_EQ(again.size(), 2u);
  for (const auto& d : old) {
    auto r = q->Done(std::span<const Delivery>(&d, 1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition) << r.error().ToString();
  }
  ASSERT_TRUE(q->Done(again).ok());
  q.reset();
  EXPECT_EQ(broker_.Ready(queue_), 0);
}

TEST_F(RabbitMqQueueTest, AnIdleConsumerGivesBackWhatWasPushedAhead) {
  for (int i = 0; i < 3; ++i) broker_.Publish(queue_, "i" + std::to_string(i));
  RabbitMqConfig c = Config();
  c.idle_pause = 300ms;
  auto q = Open(c);
  ASSERT_NE(q, nullptr);
  // Never receiving (no shard held): keep-alives only.
  EXPECT_TRUE(Eventually(
      [&] {
        EXPECT_TRUE(q->KeepAlive({}).ok());
        return broker_.Ready(queue_) == 3;
      },
      5s));
  // A receive consumes again.
  EXPECT_EQ(ReceiveN(*q, 3).size(), 3u);
}

TEST_F(RabbitMqQueueTest, TheVhostIsPercentDecoded) {
  const std::string vhost = UniqueName("fleet/a b");
  broker_.CreateVhost(vhost);
  const std::string q = broker_.DeclareQueue("tasks", vhost);
  broker_.Publish(q, "in a vhost", std::nullopt, vhost);
  RabbitMqConfig c = Config();
  c.url = broker_.Parsed(broker_.user(), broker_.password(), vhost);
  c.queue = q;
  auto queue = Open(c);
  ASSERT_NE(queue, nullptr);
  auto got = ReceiveN(*queue, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "in a vhost");
}

TEST_F(RabbitMqQueueTest, TlsVerifiesTheBroker) {
  broker_.Publish(queue_, "over tls");
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto url =
        ParseAmqpUrl(broker_.Url(broker_.user(), "/", true) + "?cacertfile=" + broker_.ca_file());
    ASSERT_TRUE(url.ok()) << url.error().message;
    url->host = host;
    url->password = broker_.password();
    RabbitMqConfig c = Config();
    c.url = *url;
    auto q = Open(c);
    ASSERT_NE(q, nullptr) << host;
    auto got = ReceiveN(*q, 1);
    ASSERT_EQ(got.size(), 1u) << host;
    EXPECT_EQ(got[0].body, "over tls");
  }
  // The system's CAs do not know the fixture's; nor is the certificate
  // another host's.
  auto url = ParseAmqpUrl(broker_.Url(broker_.user(), "/", true));
  ASSERT_TRUE(url.ok());
  url->password = broker_.password();
  RabbitMqConfig untrusted = Config();
  untrusted.url = *url;
  RabbitMqConfig misnamed = untrusted;
  misnamed.url.ca_file = broker_.ca_file();
  misnamed.url.host = "127.1";  // 127.0.0.1 to the resolver, another name to the check
  for (const auto& c : {untrusted, misnamed}) {
    auto q = RabbitMqQueue::Open(c);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().code, ErrorCode::kUnavailable) << q.error().ToString();
    EXPECT_NE(q.error().message.find("certificate verify failed"), std::string::npos)
        << q.error().message;
    ExpectNoSecret(q.error().ToString(), broker_.password());
  }
}

}  // namespace
}  // namespace agentfleet::agent::queues
