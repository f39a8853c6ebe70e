#include "controller/fleet/reconciler/credential_transport.h"

#include <gtest/gtest.h>

#include "controller/fleet/api/conditions.h"
#include "tests/unit/fleet/reconciler/test_fleet.h"

namespace agentfleet::fleet::reconciler {
namespace {

std::vector<std::string> Fields(const api::FleetSpec& spec, bool sqs_signed = false) {
  std::vector<std::string> out;
  for (const auto& c : ClearTextCredentials(spec, sqs_signed)) out.push_back(c.field);
  return out;
}

using Fs = std::vector<std::string>;

TEST(CredentialTransportTest, PolicyNames) {
  for (auto p :
       {CredentialTransport::kTlsOnly, CredentialTransport::kWarn, CredentialTransport::kAllow}) {
    EXPECT_EQ(*ParseCredentialTransport(CredentialTransportName(p)), p);
  }
  auto bad = ParseCredentialTransport("plain");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "must be tls-only, warn or allow");
}

TEST(CredentialTransportTest, RedisPasswordsOverRedisUrls) {
  api::Fleet f = testing::TestFleet();  // redis:// queue and lease store, both with a password
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.queue.redisStreams.passwordSecretRef",
                                "spec.leases.redis.passwordSecretRef"}));
  std::get<api::RedisStreamsQueue>(f.spec.queue).url = "rediss://10.0.0.1:6380/2";
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.leases.redis.passwordSecretRef"}));
  std::get<api::RedisLeaseStore>(f.spec.leases.store).password_secret_ref.reset();
  EXPECT_EQ(Fields(f.spec), Fs{}) << "no password, nothing to leak";
  f.spec.queue = api::RedisListQueue{"redis://r:6379", "k", api::SecretKeyRef{"s", "p"}, {}};
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.queue.redisList.passwordSecretRef"}));
}

TEST(CredentialTransportTest, RabbitMqBasicAuthOverHttp) {
  api::Fleet f = testing::TestFleet();
  std::get<api::RedisStreamsQueue>(f.spec.queue).url = "rediss://r";
  std::get<api::RedisLeaseStore>(f.spec.leases.store).url = "rediss://r";
  api::RabbitMqQueue q{"http://rabbit:15672", "/", "orders", api::BasicCredentialsRef{"rmq"}};
  f.spec.queue = q;
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.queue.rabbitmq.credentialsSecretRef"}));
  q.management_url = "https://rabbit:15671";
  f.spec.queue = q;
  EXPECT_EQ(Fields(f.spec), Fs{});
}

TEST(CredentialTransportTest, SqsSignedOverHttpWithASecretOrTheOperatorsIdentity) {
  api::Fleet f = testing::TestFleet();
  std::get<api::RedisLeaseStore>(f.spec.leases.store).url = "rediss://r";
  api::SqsQueue q;
  q.queue_url = "http://elasticmq:9324/000000000000/orders";
  f.spec.queue = q;
  EXPECT_EQ(Fields(f.spec, false), Fs{}) << "nothing is signed: CredentialsRequired instead";
  EXPECT_EQ(Fields(f.spec, true), (Fs{"spec.queue.sqs.queueURL"}));
  q.credentials_secret_ref = api::AwsCredentialsRef{"aws"};
  f.spec.queue = q;
  EXPECT_EQ(Fields(f.spec, false), (Fs{"spec.queue.sqs.queueURL"}));
  q.endpoint = "https://sqs.eu-west-1.amazonaws.com";  // the endpoint decides where requests go
  f.spec.queue = q;
  EXPECT_EQ(Fields(f.spec), Fs{});
  q.queue_url.clear();
  q.queue_name = "orders";
  q.endpoint = "http://localstack:4566";
  f.spec.queue = q;
  auto found = ClearTextCredentials(f.spec, false);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].field, "spec.queue.sqs.endpoint");
  EXPECT_NE(found[0].how.find("session token in clear"), std::string::npos) << found[0].how;
}

TEST(CredentialTransportTest, PostgresPasswordWithSslModeDisable) {
  api::Fleet f = testing::TestFleet();
  std::get<api::RedisStreamsQueue>(f.spec.queue).url = "rediss://r";
  api::PostgresLeaseStore p{"postgresql://agents@db/leases", api::SecretKeyRef{"pg", "pw"}, ""};
  f.spec.leases.store = p;
  EXPECT_EQ(Fields(f.spec), Fs{}) << "verify-full by default";
  p.ssl_mode = "disable";
  f.spec.leases.store = p;
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.leases.postgres.passwordSecretRef"}));
  p.ssl_mode = "";
  p.url += "?sslmode=disable";
  f.spec.leases.store = p;
  EXPECT_EQ(Fields(f.spec), (Fs{"spec.leases.postgres.passwordSecretRef"})) << "the URL's sslmode";
  p.password_secret_ref.reset();
  f.spec.leases.store = p;
  EXPECT_EQ(Fields(f.spec), Fs{});
}

TEST(CredentialTransportTest, TheConditionFollowsThePolicyAndWarnsOncePerChange) {
  api::Fleet f = testing::TestFleet();
  const auto found = ClearTextCredentials(f.spec, false);
  const Clock::Wall t0{};
  api::FleetStatus s;
  auto warning = SetTransportCondition(s, 3, found, CredentialTransport::kWarn, t0);
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(*warning,
            "credentials travel without TLS: spec.queue.redisStreams.passwordSecretRef (Redis "
            "AUTH over redis://; use rediss://); spec.leases.redis.passwordSecretRef (Redis AUTH "
            "over redis://; use rediss://); allowed with this warning "
            "(--credential-transport=warn)");
  const api::Condition* c = api::FindCondition(s.conditions, kInsecureCredentialTransport);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, api::ConditionStatus::kTrue);
  EXPECT_EQ(c->reason, "ClearText");
  EXPECT_EQ(c->message, *warning);
  EXPECT_EQ(c->observed_generation, 3);
  EXPECT_FALSE(SetTransportCondition(s, 3, found, CredentialTransport::kWarn, t0))
      << "unchanged: no second Event";

  auto refused = SetTransportCondition(s, 3, found, CredentialTransport::kTlsOnly, t0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(api::FindCondition(s.conditions, kInsecureCredentialTransport)->reason, "Refused");
  EXPECT_NE(refused->find("--credential-transport=tls-only"), std::string::npos);

  EXPECT_FALSE(SetTransportCondition(s, 3, found, CredentialTransport::kAllow, t0));
  EXPECT_EQ(api::FindCondition(s.conditions, kInsecureCredentialTransport), nullptr);
  SetTransportCondition(s, 3, found, CredentialTransport::kWarn, t0);
  EXPECT_FALSE(SetTransportCondition(s, 3, {}, CredentialTransport::kWarn, t0));
  EXPECT_EQ(api::FindCondition(s.conditions, kInsecureCredentialTransport), nullptr)
      << "TLS now: the condition goes";
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
