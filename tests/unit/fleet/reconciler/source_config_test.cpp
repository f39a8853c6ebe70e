#include "controller/fleet/reconciler/source_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

constexpr const char* kPlanted = "s3cr3t-PLANTED-value";

SecretLookup Secrets(std::map<std::pair<std::string, std::string>, std::string> values) {
  return [values](const std::string& name, const std::string& key) -> Result<std::string> {
    auto it = values.find({name, key});
    if (it == values.end())
      return MakeError(ErrorCode::kNotFound, "Secret " + name + " has no key " + key);
    return it->second;
  };
}

TEST(SourceConfigTest, RedisStreamsQueueWithPasswordFromSecret) {
  api::Fleet f = testing::TestFleet();
  auto c = QueueConfigFor(f.spec, Secrets({{{"pricing-redis", "password"}, kPlanted}}));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const auto* r = std::get_if<sources::queue::RedisShardedStreamsConfig>(&*c);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->server.host, "10.0.0.1");
  EXPECT_EQ(r->server.port, 6380);
  EXPECT_EQ(r->server.db, 2);
  EXPECT_EQ(r->server.password, kPlanted);
  EXPECT_EQ(r->key_prefix, "pricing:tasks");
  EXPECT_EQ(r->group, "agents");
  EXPECT_EQ(r->shards, 12);
}

TEST(SourceConfigTest, RedisLeaseStore) {
  api::Fleet f = testing::TestFleet();
  auto c = LeaseStoreConfigFor(f.spec, Secrets({{{"pricing-redis", "password"}, kPlanted}}));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->kind, sources::lease::StoreConfig::Kind::kRedis);
  EXPECT_EQ(c->redis.port, 6380);
  EXPECT_EQ(c->redis.password, kPlanted);
  EXPECT_EQ(c->key_prefix, "agentfleet:pricing:");
}

TEST(SourceConfigTest, MissingSecretNamesTheFieldAndTheSecret) {
  api::Fleet f = testing::TestFleet();
  auto q = QueueConfigFor(f.spec, Secrets({}));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kNotFound);
  EXPECT_NE(q.error().message.find("spec.queue.redisStreams.passwordSecretRef"), std::string::npos);
  EXPECT_NE(q.error().message.find("pricing-redis"), std::string::npos);
  auto l = LeaseStoreConfigFor(f.spec, Secrets({}));
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("spec.leases.redis.passwordSecretRef"), std::string::npos);
}

TEST(SourceConfigTest, NoSecretValueInAnyError) {
  api::Fleet f = testing::TestFleet();
  // A URL the parser rejects, with the Secret's value present.
  f.spec.queue = api::RedisListQueue{"http://bad", "k", api::SecretKeyRef{"s", "p"}, {}};
  f.spec.leases.store = api::RedisLeaseStore{"nonsense://x", "p:", api::SecretKeyRef{"s", "p"}, {}};
  auto secrets = Secrets({{{"s", "p"}, kPlanted}});
  auto q = QueueConfigFor(f.spec, secrets);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().ToString().find(kPlanted), std::string::npos);
  auto l = LeaseStoreConfigFor(f.spec, secrets);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().ToString().find(kPlanted), std::string::npos);
}

TEST(SourceConfigTest, RabbitMqCredentials) {
  api::Fleet f = testing::TestFleet();
  api::RabbitMqQueue q;
  q.management_url = "http://10.0.0.5:15672";
  q.queue = "orders";
  q.include_unacked = true;
  q.credentials_secret_ref = api::BasicCredentialsRef{"rmq", "user", "pass"};
  f.spec.queue = q;
  auto c = QueueConfigFor(f.spec, Secrets({{{"rmq", "user"}, "u"}, {{"rmq", "pass"}, kPlanted}}));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const auto& r = std::get<sources::queue::RabbitMqConfig>(*c);
  EXPECT_EQ(r.endpoint, "http://10.0.0.5:15672");
  EXPECT_EQ(r.queue, "orders");
  EXPECT_EQ(r.vhost, "/");
  EXPECT_TRUE(r.include_unacked);
  EXPECT_EQ(r.credentials.username, "u");
  EXPECT_EQ(r.credentials.password, kPlanted);
}

TEST(SourceConfigTest, SqsCredentialsFromSecret) {
  api::Fleet f = testing::TestFleet();
  api::SqsQueue q;
  q.queue_url = "http://127.0.0.1:9324/000000000000/orders";
  q.region = "eu-west-1";
  q.credentials_secret_ref = api::AwsCredentialsRef{"aws", "id", "key", "tok"};
  f.spec.queue = q;
  auto c = QueueConfigFor(
      f.spec,
      Secrets({{{"aws", "id"}, "AKID"}, {{"aws", "key"}, kPlanted}, {{"aws", "tok"}, "T"}}));
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const auto& s = std::get<sources::queue::SqsConfig>(*c);
  EXPECT_EQ(s.queue_url, q.queue_url);
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.credentials.access_key_id, "AKID");
  EXPECT_EQ(s.credentials.secret_access_key, kPlanted);
  EXPECT_EQ(s.credentials.session_token, "T");
}

TEST(SourceConfigTest, SqsWithoutSecretNeedsTheInstallationToLendItsIdentity) {
  api::Fleet f = testing::TestFleet();
  api::SqsQueue q;
  q.queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders";
  f.spec.queue = q;
  // The operator's own keys are in its environment: still not lent.
  setenv("AWS_ACCESS_KEY_ID", "AKIDOPERATOR", 1);
  setenv("AWS_SECRET_ACCESS_KEY", kPlanted, 1);
  auto refused = QueueConfigFor(f.spec, Secrets({}));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().reason, kCredentialsRequired);
  EXPECT_EQ(refused.error().message,
            "spec.queue.sqs has no credentialsSecretRef and the installation does not lend the "
            "operator's identity to fleets (--allow-operator-cloud-identity)");

  OperatorIdentity lent{
      sources::queue::StaticAwsCredentials({"AKIDOPERATOR", kPlanted, ""}, "environment variables"),
      "eu-central-1"};
  auto c = QueueConfigFor(f.spec, Secrets({}), {}, lent);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const auto& s = std::get<sources::queue::SqsConfig>(*c);
  EXPECT_EQ(s.credentials_provider, lent.aws);
  EXPECT_EQ(s.region, "eu-central-1") << "the operator's region when the spec names none";
  EXPECT_TRUE(s.credentials.access_key_id.empty());

  // A Secret always wins: the operator's identity is never mixed in.
  q.credentials_secret_ref = api::AwsCredentialsRef{"aws", "id", "key", ""};
  q.region = "eu-west-1";
  f.spec.queue = q;
  auto own =
      QueueConfigFor(f.spec, Secrets({{{"aws", "id"}, "AKID"}, {{"aws", "key"}, "k"}}), {}, lent);
  ASSERT_TRUE(own.ok()) << own.error().ToString();
  EXPECT_EQ(std::get<sources::queue::SqsConfig>(*own).credentials_provider, nullptr);
  EXPECT_EQ(std::get<sources::queue::SqsConfig>(*own).region, "eu-west-1");
}

TEST(SourceConfigTest, PostgresSslModeIsPassedExplicitly) {
  api::Fleet f = testing::TestFleet();
  f.spec.leases.store = api::PostgresLeaseStore{"postgresql://agents@db:5432/leases", {}, ""};
  auto l = LeaseStoreConfigFor(f.spec, Secrets({}));
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_EQ(l->postgres.sslmode, "verify-full") << "the safe default, never libpq's prefer";
  std::get<api::PostgresLeaseStore>(f.spec.leases.store).ssl_mode = "disable";
  l = LeaseStoreConfigFor(f.spec, Secrets({}));
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_EQ(l->postgres.sslmode, "disable");

  f.spec.leases.store =
      api::PostgresLeaseStore{"postgresql://agents@db/leases?sslmode=prefer", {}, ""};
  auto prefer = LeaseStoreConfigFor(f.spec, Secrets({}));
  ASSERT_FALSE(prefer.ok());
  EXPECT_EQ(prefer.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(prefer.error().message.rfind("spec.leases.postgres.url: sslmode=prefer", 0), 0u)
      << prefer.error().message;
}

TEST(SourceConfigTest, TlsCaFromSecretWithoutAWriterIsReportedAsUnsupported) {
  api::Fleet f = testing::TestFleet();
  auto& q = std::get<api::RedisStreamsQueue>(f.spec.queue);
  q.tls.ca_secret_ref = api::SecretKeyRef{"ca", "ca.crt"};
  auto c = QueueConfigFor(f.spec, Secrets({{{"pricing-redis", "password"}, kPlanted}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("caSecretRef"), std::string::npos);
}

TEST(SourceConfigTest, TlsCaFromSecretBecomesACaFile) {
  api::Fleet f = testing::TestFleet();
  f.spec.queue = api::RedisStreamsQueue{"rediss://10.0.0.1:6380/2",
                                        "t",
                                        "g",
                                        std::nullopt,
                                        {api::SecretKeyRef{"ca", "ca.crt"}, "redis.internal"}};
  f.spec.leases.store = api::RedisLeaseStore{
      "rediss://10.0.0.1:6380/2", "l:", std::nullopt, {api::SecretKeyRef{"ca", "ca.crt"}, ""}};
  std::vector<std::string> written;
  CaFileWriter writer = [&](const std::string& pem) -> Result<std::string> {
    written.push_back(pem);
    return std::string("/run/ca.pem");
  };
  auto secrets = Secrets({{{"ca", "ca.crt"}, "-----BEGIN CERTIFICATE-----"}});
  auto q = QueueConfigFor(f.spec, secrets, writer);
  ASSERT_TRUE(q.ok()) << q.error().ToString();
  const auto& r = std::get<sources::queue::RedisShardedStreamsConfig>(*q);
  EXPECT_TRUE(r.server.tls);
  EXPECT_EQ(r.server.tls_ca_file, "/run/ca.pem");
  EXPECT_EQ(r.server.tls_server_name, "redis.internal");
  auto l = LeaseStoreConfigFor(f.spec, secrets, writer);
  ASSERT_TRUE(l.ok()) << l.error().ToString();
  EXPECT_TRUE(l->redis.tls);
  EXPECT_EQ(l->redis.tls_ca_file, "/run/ca.pem");
  EXPECT_EQ(written, (std::vector<std::string>{"-----BEGIN CERTIFICATE-----",
                                               "-----BEGIN CERTIFICATE-----"}));
  // A missing CA key is named.
  auto missing = QueueConfigFor(f.spec, Secrets({}), writer);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("spec.queue.redisStreams.tls.caSecretRef"),
            std::string::npos);
}

TEST(SourceConfigTest, DirectoryCaFilesWritesByContent) {
  char tmpl[] = "/tmp/ca-files-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = std::string(tmpl) + "/ca";
  CaFileWriter writer = DirectoryCaFiles(dir);
  auto a = writer("PEM A");
  auto a2 = writer("PEM A");
  auto b = writer("PEM B");
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok());
  EXPECT_EQ(*a, *a2);
  EXPECT_NE(*a, *b);
  std::ifstream in(*b);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "PEM B");
  std::remove(a->c_str());
  std::remove(b->c_str());
  std::remove(dir.c_str());
  std::remove(tmpl);
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
