#include "examples/agent/queues/amqp_url.h"

#include <gtest/gtest.h>

namespace agentfleet::agent::queues {
namespace {

using namespace std::chrono_literals;

TEST(AmqpUrlTest, EveryPartOfAFullUrl) {
  auto u = ParseAmqpUrl("amqp://pricing:s3cret@mq.example:5673/fleet-a?heartbeat=30");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "mq.example");
  EXPECT_EQ(u->port, 5673);
  EXPECT_EQ(u->vhost, "fleet-a");
  EXPECT_EQ(u->user, "pricing");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->heartbeat, 30s);
  EXPECT_EQ(u->Endpoint(), "mq.example:5673");
}

TEST(AmqpUrlTest, DefaultsOfTheSpecification) {
  auto u = ParseAmqpUrl("amqp://mq");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 5672);
  EXPECT_EQ(u->vhost, "/");
  EXPECT_EQ(u->user, "guest");
  EXPECT_EQ(u->password, "guest");
  EXPECT_EQ(u->heartbeat, 10s);

  auto tls = ParseAmqpUrl("amqps://agent@mq/");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 5671);
  EXPECT_EQ(tls->vhost, "/") << "an empty path is the default vhost";
  EXPECT_EQ(tls->user, "agent");
  EXPECT_EQ(tls->password, "") << "a user without a password gets none (the environment's)";
}

TEST(AmqpUrlTest, PercentDecodesUserPasswordAndVhost) {
  auto u = ParseAmqpUrl("amqp://us%40er:p%3Aw%2Fd@mq/%2F");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->user, "us@er");
  EXPECT_EQ(u->password, "p:w/d");
  EXPECT_EQ(u->vhost, "/");
  u = ParseAmqpUrl("amqp://mq/fleet%2Fa%20b");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->vhost, "fleet/a b");
  // An '@' left unencoded in the password still splits at the last one.
  u = ParseAmqpUrl("amqp://u:p@ss@mq");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->host, "mq");
}

TEST(AmqpUrlTest, Ipv6Hosts) {
  auto u = ParseAmqpUrl("amqp://[::1]:5673/v");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 5673);
  EXPECT_EQ(u->Endpoint(), "[::1]:5673");
  u = ParseAmqpUrl("amqp://[fe80::2]");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 5672);
}

TEST(AmqpUrlTest, TlsQueryParameters) {
  auto u = ParseAmqpUrl(
      "amqps://mq?cacertfile=/etc/ca.pem&certfile=%2Fc.pem&keyfile=/k.pem&connection_timeout=1500");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->ca_file, "/etc/ca.pem");
  EXPECT_EQ(u->cert_file, "/c.pem");
  EXPECT_EQ(u->key_file, "/k.pem");
  EXPECT_EQ(u->connection_timeout, 1500ms);
  EXPECT_TRUE(ParseAmqpUrl("amqp://mq?heartbeat=0").ok()) << "0 turns heartbeats off";
}

TEST(AmqpUrlTest, MalformedUrlsAreRefusedWithoutEchoingThem) {
  for (const char* bad : {
           "http://mq",
           "amqp://",
           "amqp://:pw@",
           "amqp://mq:0",
           "amqp://mq:65536",
           "amqp://mq:port",
           "amqp://[::1",
           "amqp://[::1]x",
           "amqp://mq/a/b",
           "amqp://mq/%zz",
           "amqp://mq/%2",
           "amqp://u%:pw@mq",
           "amqp://:pw@mq",
           "amqp://mq#frag",
           "amqp://mq?heartbeat=-1",
           "amqp://mq?heartbeat=70000",
           "amqp://mq?connection_timeout=0",
           "amqp://mq?cacertfile=/ca.pem",
           "amqps://mq?certfile=/c.pem",
           "amqp://mq?channel_max=5",
       }) {
    auto u = ParseAmqpUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  auto u = ParseAmqpUrl("amqp://agent:Very-Secret-1@mq:x");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message.find("Very-Secret-1"), std::string::npos) << u.error().message;
}

}  // namespace
}  // namespace agentfleet::agent::queues
