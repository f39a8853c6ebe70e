// The RabbitMQ source against a real broker (Debian's rabbitmq-server with the
// management plugin, fixture `rabbitmq`): exact depths after known publishes
// and gets, unacknowledged messages held by a real AMQP consumer, vhost
// encoding, authentication and authorisation failures, TLS.
#include "controller/sources/queue/rabbitmq_source.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/rabbitmq_protocol.h"
#include "tests/integration/sources/queue/test_support.h"

namespace agentfleet::sources::queue {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::ExpectFailureWithin;
using testing::ExpectNoSecret;
using testing::FixtureFile;
using testing::UniqueToken;
using testing::WaitForDepth;

constexpr const char* kDirEnv = "AGENTFLEET_RABBITMQ_DIR";
// Statistics are collected every 500 ms by the fixture; allow plenty.
constexpr auto kSettle = 20s;

class RabbitMqSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = FixtureFile(kDirEnv, "url");
    user_ = FixtureFile(kDirEnv, "user");
    password_ = FixtureFile(kDirEnv, "password");
    ASSERT_FALSE(url_.empty() || user_.empty() || password_.empty());
  }

  HttpResponse Admin(const std::string& method, const std::string& path, const json& body = {}) {
    auto url = ParseUrl(url_ + path);
    EXPECT_TRUE(url.ok());
    HttpRequest req;
    req.method = method;
    req.url = *url;
    req.headers = {{"Authorization", rabbitmq::BasicAuthorization(user_, password_)},
                   {"Content-Type", "application/json"}};
    if (!body.is_null()) req.body = body.dump();
    auto res = HttpFetch(req, {}, 10s);
    EXPECT_TRUE(res.ok()) << method << " " << path << ": " << res.error().ToString();
    if (!res.ok()) return {};
    EXPECT_LT(res->status, 300) << method << " " << path << ": " << res->body;
    return *res;
  }

  void CreateVhost(const std::string& vhost) {
    Admin("PUT", "/api/vhosts/" + PercentEncode(vhost));
    Admin("PUT", "/api/permissions/" + PercentEncode(vhost) + "/" + PercentEncode(user_),
          {{"configure", ".*"}, {"write", ".*"}, {"read", ".*"}});
  }

  std::string CreateQueue(const std::string& vhost = "/") {
    const std::string q = UniqueToken("orders.eu/q");
    Admin("PUT", "/api/queues/" + PercentEncode(vhost) + "/" + PercentEncode(q),
          {{"durable", false}, {"auto_delete", false}});
    return q;
  }

  void Publish(const std::string& vhost, const std::string& q, int n) {
    for (int i = 0; i < n; ++i) {
      auto res = Admin("POST", "/api/exchanges/" + PercentEncode(vhost) + "/amq.default/publish",
                       {{"properties", json::object()},
                        {"routing_key", q},
                        {"payload", "task-" + std::to_string(i)},
                        {"payload_encoding", "string"}});
      EXPECT_EQ(json::parse(res.body, nullptr, false).value("routed", false), true);
    }
  }

  // Takes n messages off the queue for good.
  void Consume(const std::string& vhost, const std::string& q, int n) {
    auto res =
        Admin("POST", "/api/queues/" + PercentEncode(vhost) + "/" + PercentEncode(q) + "/get",
              {{"count", n}, {"ackmode", "ack_requeue_false"}, {"encoding", "auto"}});
    EXPECT_EQ(json::parse(res.body, nullptr, false).size(), static_cast<size_t>(n));
  }

  RabbitMqConfig Config(const std::string& q, const std::string& vhost = "/") {
    RabbitMqConfig c;
    c.endpoint = url_;
    c.vhost = vhost;
    c.queue = q;
    c.credentials = {user_, password_};
    c.timeout = 3s;
    return c;
  }

  std::unique_ptr<QueueSource> Source(RabbitMqConfig c) {
    auto s = MakeRabbitMqSource(std::move(c));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return std::move(s).value();
  }

  std::vector<std::string> Secrets() const {
    return {password_, rabbitmq::BasicAuthorization(user_, password_).substr(6)};
  }

  std::string url_, user_, password_;
};

TEST_F(RabbitMqSourceTest, ReadyCountIsExactAfterPublishesAndGets) {
  const std::string q = CreateQueue();
  auto source = Source(Config(q));
  auto d = WaitForDepth(*source, 0, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 0);
  Publish("/", q, 7);
  d = WaitForDepth(*source, 7, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 7);
  Consume("/", q, 3);
  d = WaitForDepth(*source, 4, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 4);
  EXPECT_TRUE(d->shards.empty());
}

// A real AMQP consumer (pika) holding messages without acknowledging them.
class Holder {
 public:
  Holder(const std::string& amqp_port, const std::string& user, const std::string& password,
         const std::string& vhost, const std::string& queue, int count) {
    setenv("AMQP_PASSWORD", password.c_str(), 1);
    const std::string cmd = "/usr/bin/python3 " AGENTFLEET_AMQP_HOLD " " + amqp_port + " '" + user +
                            "' '" + vhost + "' '" + queue + "' " + std::to_string(count);
    pipe_ = popen(cmd.c_str(), "r");
    unsetenv("AMQP_PASSWORD");
    if (pipe_ == nullptr) return;
    pollfd p{fileno(pipe_), POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) return;
    char line[128] = {};
    if (fgets(line, sizeof line, pipe_) == nullptr) return;
    int held = 0;
    if (sscanf(line, "held %d %d", &held, &pid_) != 2 || held != count) pid_ = 0;
  }
  ~Holder() { Release(); }
  bool holding() const { return pid_ > 0; }
  // Closing the consumer's connection makes the broker requeue what it held.
  void Release() {
    if (pid_ > 0) kill(pid_, SIGTERM);
    pid_ = 0;
    if (pipe_ != nullptr) pclose(pipe_);
    pipe_ = nullptr;
  }

 private:
  FILE* pipe_ = nullptr;
  int pid_ = 0;
};

TEST_F(RabbitMqSourceTest, UnacknowledgedCountOnlyWhenAsked) {
  const std::string q = CreateQueue();
  Publish("/", q, 5);
  Holder holder(FixtureFile(kDirEnv, "amqp_port"), user_, password_, "/", q, 2);
  ASSERT_TRUE(holder.holding()) << "the AMQP consumer did not get its messages";

  RabbitMqConfig ready_only = Config(q);
  RabbitMqConfig with_unacked = Config(q);
  with_unacked.include_unacked = true;
  auto ready = Source(ready_only);
  auto all = Source(with_unacked);
  auto d = WaitForDepth(*ready, 3, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 3) << "ready only";
  d = WaitForDepth(*all, 5, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 5) << "ready + unacknowledged";

  holder.Release();
  d = WaitForDepth(*ready, 5, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 5) << "released messages are ready again";
}

TEST_F(RabbitMqSourceTest, VhostAndQueueNamesWithSlashesAndSpacesAreEncoded) {
  const std::string vhost = UniqueToken("fleet/a b");
  CreateVhost(vhost);
  const std::string q = CreateQueue(vhost);
  Publish(vhost, q, 2);
  auto source = Source(Config(q, vhost));
  auto d = WaitForDepth(*source, 2, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 2);
}

TEST_F(RabbitMqSourceTest, MissingQueueOrVhostIsNotFound) {
  for (auto [vhost, q] : std::vector<std::pair<std::string, std::string>>{
           {"/", UniqueToken("absent")}, {UniqueToken("no-such-vhost"), "orders"}}) {
    auto source = Source(Config(q, vhost));
    Error e = ExpectFailureWithin(*source, ErrorCode::kNotFound, 3s);
    ExpectNoSecret(e, Secrets());
  }
}

TEST_F(RabbitMqSourceTest, WrongPasswordIsUnauthorizedAndNotEchoed) {
  const std::string q = CreateQueue();
  RabbitMqConfig c = Config(q);
  c.credentials.password = UniqueToken("wrong-password");
  auto source = Source(c);
  Error e = ExpectFailureWithin(*source, ErrorCode::kUnauthorized, c.timeout);
  ExpectNoSecret(
      e, {c.credentials.password,
          rabbitmq::BasicAuthorization(c.credentials.username, c.credentials.password).substr(6)});
}

TEST_F(RabbitMqSourceTest, UsersWithoutRightsAreForbidden) {
  const std::string q = CreateQueue();
  // A management user with no permission on "/", and a user without the
  // management tag at all.
  for (const char* tags : {"management", ""}) {
    const std::string user = UniqueToken("limited");
    const std::string password = UniqueToken("limited-password");
    Admin("PUT", "/api/users/" + user, {{"password", password}, {"tags", tags}});
    RabbitMqConfig c = Config(q);
    c.credentials = {user, password};
    auto source = Source(c);
    Error e = ExpectFailureWithin(*source, ErrorCode::kForbidden, c.timeout);
    ExpectNoSecret(e, {password, rabbitmq::BasicAuthorization(user, password).substr(6)});
  }
}

class RabbitMqTlsTest : public RabbitMqSourceTest {
 protected:
  RabbitMqConfig TlsConfigFor(const std::string& q, const std::string& host = "127.0.0.1") {
    RabbitMqConfig c = Config(q);
    c.endpoint = "https://" + host + ":" + FixtureFile(kDirEnv, "tls_port");
    c.tls.ca_file = testing::FixturePath(kDirEnv, "ca.pem");
    return c;
  }
};

TEST_F(RabbitMqTlsTest, VerifiedTlsReadsTheSameDepth) {
  const std::string q = CreateQueue();
  Publish("/", q, 3);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto source = Source(TlsConfigFor(q, host));
    auto d = WaitForDepth(*source, 3, kSettle);
    ASSERT_TRUE(d.ok()) << host << ": " << d.error().ToString();
    EXPECT_EQ(d->total, 3) << host;
  }
}

TEST_F(RabbitMqTlsTest, UntrustedOrMismatchedCertificatesFailTyped) {
  const std::string q = CreateQueue();
  RabbitMqConfig no_ca = TlsConfigFor(q);
  no_ca.tls.ca_file.clear();  // the system store does not know the test CA
  RabbitMqConfig wrong_name = TlsConfigFor(q);
  wrong_name.tls.server_name = "queue.elsewhere.example";
  for (const auto& c : {no_ca, wrong_name}) {
    auto source = Source(c);
    Error e = ExpectFailureWithin(*source, ErrorCode::kUnavailable, c.timeout);
    EXPECT_NE(e.message.find("certificate verify failed"), std::string::npos) << e.message;
    ExpectNoSecret(e, Secrets());
  }
}

TEST_F(RabbitMqTlsTest, InsecureSkipVerifyIsAnExplicitOptIn) {
  const std::string q = CreateQueue();
  RabbitMqConfig c = TlsConfigFor(q);
  c.tls.ca_file.clear();
  c.tls.insecure_skip_verify = true;
  auto source = Source(c);
  auto d = WaitForDepth(*source, 0, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->total, 0);
}

TEST_F(RabbitMqTlsTest, MissingCaFileIsInvalidArgument) {
  RabbitMqConfig c = TlsConfigFor(CreateQueue());
  c.tls.ca_file = "/nonexistent/ca.pem";
  auto source = Source(c);
  Error e = ExpectFailureWithin(*source, ErrorCode::kInvalidArgument, c.timeout);
  ExpectNoSecret(e, Secrets());
}

TEST_F(RabbitMqTlsTest, ClientCertificateIsLoadedAndPresented) {
  const std::string q = CreateQueue();
  RabbitMqConfig c = TlsConfigFor(q);
  // The broker does not ask for one, but the handshake must carry it through.
  c.tls.cert_file = testing::FixturePath(kDirEnv, "tls/server.pem");
  c.tls.key_file = testing::FixturePath(kDirEnv, "tls/server.key");
  auto source = Source(c);
  auto d = WaitForDepth(*source, 0, kSettle);
  ASSERT_TRUE(d.ok()) << d.error().ToString();

  for (auto [cert, key] : std::vector<std::pair<std::string, std::string>>{
           {"/nonexistent/client.pem", c.tls.key_file},
           {c.tls.cert_file, "/nonexistent/key.pem"}}) {
    RabbitMqConfig bad = c;
    bad.tls.cert_file = cert;
    bad.tls.key_file = key;
    auto broken = Source(bad);
    Error e = ExpectFailureWithin(*broken, ErrorCode::kInvalidArgument, bad.timeout);
    ExpectNoSecret(e, Secrets());
  }
}

TEST_F(RabbitMqTlsTest, PlainHttpToTheTlsPortFailsTyped) {
  RabbitMqConfig c = Config(CreateQueue());
  c.endpoint = "http://127.0.0.1:" + FixtureFile(kDirEnv, "tls_port");
  auto source = Source(c);
  auto start = std::chrono::steady_clock::now();
  auto d = source->ReadDepth();
  EXPECT_LT(std::chrono::steady_clock::now() - start, c.timeout + 750ms);
  ASSERT_FALSE(d.ok());
  // A TLS listener either closes the connection or answers garbage.
  EXPECT_TRUE(d.error().code == ErrorCode::kUnavailable || d.error().code == ErrorCode::kInternal ||
              d.error().code == ErrorCode::kInvalidArgument)
      << d.error().ToString();
  ExpectNoSecret(d.error(), Secrets());
}

}  // namespace
}  // namespace agentfleet::sources::queue
