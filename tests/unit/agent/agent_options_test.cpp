#include "examples/agent/agent_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace agentfleet::agent {
namespace {

using Env = std::map<std::string, std::string>;
using namespace std::chrono_literals;

AgentParseResult Parse(std::vector<std::string_view> args, const Env& env = {}) {
  return ParseAgentOptions(args, env);
}

const std::vector<std::string_view> kRequired = {
    "--pod-name=p-0",        "--fleet=eu",
    "--shards=64",           "--lease-store=redis://h",
    "--queue-url=redis://q", "--assignment-file=/etc/podinfo/annotations"};

std::vector<std::string_view> With(std::vector<std::string_view> extra) {
  auto v = kRequired;
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

TEST(AgentOptions, RequiredAndDefaults) {
  auto r = Parse(kRequired);
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  const auto& o = r.options;
  EXPECT_EQ(o.pod_name, "p-0");
  EXPECT_EQ(o.fleet, "eu");
  EXPECT_EQ(o.shards, 64u);
  EXPECT_EQ(o.lease_duration, 15s);
  EXPECT_EQ(o.queue_prefix, "pricing:tasks");
  EXPECT_EQ(o.queue_group, "pricing-agents");
  EXPECT_EQ(o.assignment_file, "/etc/podinfo/annotations");
  EXPECT_FALSE(o.assignment_from_api);
  EXPECT_TRUE(o.assignment_from_store) << "the published copy is read by default";
  EXPECT_EQ(o.poll_interval, 1s);
  EXPECT_EQ(o.metrics_bind_address, ":8080");
  EXPECT_EQ(o.lease_key_prefix, "agentfleet:");
  EXPECT_EQ(o.task_time, 0ms);
}

// The variables the operator sets in every agent container
// (controller/fleet/reconciler/agent_pod.cpp) are the ones the agent reads.
TEST(AgentOptions, TheOperatorsPodEnvironmentIsEnough) {
  Env env{{"POD_NAME", "pricing-0"},
          {"POD_NAMESPACE", "shop"},
          {"AGENTFLEET_FLEET", "pricing"},
          {"AGENTFLEET_SHARDS", "64"},
          {"AGENTFLEET_ASSIGNMENT_FILE", "/etc/agentfleet/annotations"},
          {"AGENTFLEET_LEASE_DURATION", "15s"},
          {"AGENTFLEET_LEASE_STORE", "redis://r:6379/0"},
          {"AGENTFLEET_LEASE_KEY_PREFIX", "agentfleet:pricing:"},
          {"AGENTFLEET_LEASE_STORE_PASSWORD", "pw"},
          {"AGENTFLEET_QUEUE_URL", "redis://r:6379/0"},
          {"AGENTFLEET_QUEUE_PREFIX", "pricing:tasks"},
          {"AGENTFLEET_QUEUE_GROUP", "pricing-agents"},
          {"AGENTFLEET_QUEUE_PASSWORD", "pw"},
          {"AGENTFLEET_TASK_TIME", "20ms"}};
  auto r = Parse({}, env);
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.lease_key_prefix, "agentfleet:pricing:");
  EXPECT_EQ(r.options.task_time, 20ms);
  EXPECT_EQ(r.options.assignment_file, "/etc/agentfleet/annotations");
  EXPECT_EQ(r.options.queue_password, "pw");
}

TEST(AgentOptions, EnvironmentFillsAndFlagsWin) {
  Env env{{"POD_NAME", "from-env"},
          {"POD_NAMESPACE", "shop"},
          {"AGENTFLEET_FLEET", "eu"},
          {"AGENTFLEET_SHARDS", "8"},
          {"AGENTFLEET_LEASE_STORE", "postgresql://u@h/db"},
          {"AGENTFLEET_QUEUE_URL", "redis://q"},
          {"AGENTFLEET_LEASE_DURATION", "9s"},
          {"AGENTFLEET_LEASE_STORE_PASSWORD", "s3cret"}};
  auto r = Parse({"--assignment-from-api", "--shards", "16"}, env);
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.pod_name, "from-env");
  EXPECT_EQ(r.options.namespace_name, "shop");
  EXPECT_EQ(r.options.shards, 16u);
  EXPECT_EQ(r.options.lease_duration, 9s);
  EXPECT_TRUE(r.options.assignment_from_api);
  EXPECT_EQ(r.options.lease_store_password, "s3cret");
  EXPECT_EQ(r.options.lease_store_sslmode, "") << "empty: the URL's own, else verify-full";
  env["AGENTFLEET_LEASE_STORE_SSLMODE"] = "disable";
  EXPECT_EQ(Parse({"--assignment-from-api"}, env).options.lease_store_sslmode, "disable");
}

TEST(AgentOptions, TheStoreCopyCanBeTurnedOff) {
  EXPECT_FALSE(Parse(With({"--assignment-from-store=false"})).options.assignment_from_store);
  EXPECT_FALSE(Parse(kRequired, {{"AGENTFLEET_ASSIGNMENT_FROM_STORE", "false"}})
                   .options.assignment_from_store);
  EXPECT_TRUE(Parse(With({"--assignment-from-store"})).options.assignment_from_store);
}

TEST(AgentOptions, Durations) {
  auto r = Parse(
      With({"--lease-duration=500ms", "--block", "50ms", "--claim-min-idle=0s", "--tick=2m"}));
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.lease_duration, 500ms);
  EXPECT_EQ(r.options.block, 50ms);
  EXPECT_EQ(r.options.claim_min_idle, 0ms);
  EXPECT_EQ(r.options.tick, 2min);
}

TEST(AgentOptions, BadFlagsAreClearErrors) {
  struct Case {
    std::vector<std::string_view> args;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {With({"--shards=0"}), "--shards: must be a whole number from 1 to 65536"},
           {With({"--shards=65537"}), "--shards: must be a whole number from 1 to 65536"},
           {With({"--shards=x"}), "--shards"},
           {With({"--lease-duration=10"}), "--lease-duration: must be a duration"},
           {With({"--lease-duration=100ms"}), "must be at least 300ms"},
           {With({"--batch-size=0"}), "--batch-size"},
           {With({"--log-level=loud"}), "--log-level"},
           {With({"--lease-store-sslmode=prefer"}),
            "--lease-store-sslmode: must be disable, require, verify-ca or verify-full"},
           {With({"--metrics-bind-address=nowhere"}), "--metrics-bind-address"},
           {With({"--nope"}), "unknown flag --nope"},
           {With({"stray"}), "unexpected argument"},
           {With({"--fleet"}), "--fleet needs a value"},
           {With({"--assignment-from-api"}), "exactly one of --assignment-file"},
           {{"--fleet=f", "--shards=4", "--lease-store=redis://h", "--queue-url=redis://q",
             "--assignment-from-api"},
            "--pod-name"},
           {{"--pod-name=p", "--shards=4", "--lease-store=redis://h", "--queue-url=redis://q",
             "--assignment-from-api"},
            "--fleet"},
           {{"--pod-name=p", "--fleet=f", "--shards=4", "--queue-url=redis://q",
             "--assignment-from-api"},
            "--lease-store"},
           {{"--pod-name=p", "--fleet=f", "--lease-store=redis://h", "--queue-url=redis://q",
             "--assignment-from-api"},
            "--shards"},
       }) {
    auto r = Parse(c.args);
    EXPECT_EQ(r.kind, AgentParseResult::Kind::kError) << c.message;
    EXPECT_NE(r.error.find(c.message), std::string::npos) << r.error;
  }
  auto env = Parse(kRequired, {{"AGENTFLEET_SHARDS", "many"}});
  EXPECT_EQ(env.kind, AgentParseResult::Kind::kError);
  EXPECT_NE(env.error.find("$AGENTFLEET_SHARDS"), std::string::npos);
}

TEST(AgentOptions, ErrorsNeverEchoAStoreUrl) {
  auto r = Parse(With({"--lease-store="}), {});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kError);
  auto q = Parse(With({"--queue-url="}), {});
  ASSERT_EQ(q.kind, AgentParseResult::Kind::kError);
  EXPECT_EQ(q.error.find("redis://"), std::string::npos);
}

TEST(AgentOptions, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).kind, AgentParseResult::Kind::kHelp);
  EXPECT_EQ(Parse({"--version"}).kind, AgentParseResult::Kind::kVersion);
  std::string usage = AgentUsage("pricing-agent");
  for (const char* s : {"--pod-name", "[$POD_NAME]", "--assignment-file", "--assignment-from-api",
                        "--lease-duration", "--queue-prefix", "AGENTFLEET_LEASE_STORE_PASSWORD",
                        "(default \"15s\")"}) {
    EXPECT_NE(usage.find(s), std::string::npos) << s;
  }
}

TEST(AgentOptions, QueueBackendDefaultsToRedisStreams) {
  auto r = Parse(kRequired);
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.queue_backend, "redis-streams");
  EXPECT_EQ(r.options.visibility_timeout, 30s);
  EXPECT_EQ(r.options.prefetch, 0);
}

TEST(AgentOptions, SharedQueueBackendsNeedAQueueName) {
  for (std::string_view backend : {"redis-list", "rabbitmq"}) {
    std::string flag = "--queue-backend=" + std::string(backend);
    auto r = Parse(With({flag}));
    ASSERT_EQ(r.kind, AgentParseResult::Kind::kError) << backend;
    EXPECT_NE(r.error.find("needs --queue-name"), std::string::npos) << r.error;
    r = Parse(With({flag, "--queue-name=pricing-tasks"}));
    EXPECT_EQ(r.kind, AgentParseResult::Kind::kRun) << backend << ": " << r.error;
    EXPECT_EQ(r.options.queue_name, "pricing-tasks");
  }
}

TEST(AgentOptions, AnUnknownBackendIsRefusedNamingTheChoices) {
  auto r = Parse(With({"--queue-backend=kafka"}));
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kError);
  EXPECT_NE(r.error.find("redis-streams, redis-list, sqs or rabbitmq"), std::string::npos)
      << r.error;
}

TEST(AgentOptions, SqsNeedsARegionAndKeysFromTheEnvironment) {
  auto r = Parse(With({"--queue-backend=sqs"}));
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kError);
  EXPECT_NE(r.error.find("--sqs-region"), std::string::npos) << r.error;
  r = Parse(With({"--queue-backend=sqs"}), {{"AWS_REGION", "eu-west-1"}});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kError);
  EXPECT_NE(r.error.find("AWS_ACCESS_KEY_ID"), std::string::npos) << r.error;
  r = Parse(With({"--queue-backend=sqs", "--visibility-timeout=45s"}),
            {{"AWS_REGION", "eu-west-1"},
             {"AWS_ACCESS_KEY_ID", "AKID"},
             {"AWS_SECRET_ACCESS_KEY", "secret"},
             {"AWS_SESSION_TOKEN", "token"}});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.sqs_region, "eu-west-1");
  EXPECT_EQ(r.options.aws_access_key_id, "AKID");
  EXPECT_EQ(r.options.aws_secret_access_key, "secret");
  EXPECT_EQ(r.options.aws_session_token, "token");
  EXPECT_EQ(r.options.visibility_timeout, 45s);
}

}  // namespace
}  // namespace agentfleet::agent
