// How the agent's options reach the SQS queue: the flags and environment it
// reads, and what OpenTaskQueue refuses before any call is made.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "examples/agent/agent_options.h"
#include "examples/agent/open_task_queue.h"

namespace agentfleet::agent {
namespace {

using Env = std::map<std::string, std::string>;
using namespace std::chrono_literals;

const Env kAws = {{"AWS_REGION", "eu-west-1"},
                  {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                  {"AWS_SECRET_ACCESS_KEY", "the-secret-access-key"},
                  {"AWS_SESSION_TOKEN", "the-session-token"}};

AgentParseResult Parse(std::vector<std::string_view> extra, const Env& env = kAws) {
  std::vector<std::string_view> args = {"--pod-name=p-0",
                                        "--fleet=eu",
                                        "--shards=4",
                                        "--lease-store=redis://h",
                                        "--assignment-file=/etc/podinfo/annotations",
                                        "--queue-backend=sqs"};
  args.insert(args.end(), extra.begin(), extra.end());
  return ParseAgentOptions(args, env);
}

TEST(SqsOptions, EnvironmentAndDefaults) {
  auto r = Parse({"--queue-url=http://127.0.0.1:9324", "--queue-name=tasks"});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  const auto& o = r.options;
  EXPECT_EQ(o.sqs_region, "eu-west-1");
  EXPECT_EQ(o.aws_access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(o.aws_secret_access_key, "the-secret-access-key");
  EXPECT_EQ(o.aws_session_token, "the-session-token");
  EXPECT_EQ(o.visibility_timeout, 30s);
  EXPECT_EQ(o.dead_letter_queue, "") << "the queue's <name>-dead";

  r = Parse({"--queue-url=http://q/1/tasks", "--sqs-region=us-east-2", "--visibility-timeout=2m",
             "--dead-letter-queue=poison"});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.sqs_region, "us-east-2") << "the flag wins";
  EXPECT_EQ(r.options.visibility_timeout, 120s);
  EXPECT_EQ(r.options.dead_letter_queue, "poison");
}

TEST(SqsOptions, RegionAndKeysAreRequired) {
  Env env = kAws;
  env.erase("AWS_REGION");
  EXPECT_EQ(Parse({"--queue-url=http://q/1/tasks"}, env).kind, AgentParseResult::Kind::kError);
  env = kAws;
  env.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(Parse({"--queue-url=http://q/1/tasks"}, env).kind, AgentParseResult::Kind::kError);
}

TEST(SqsOptions, AnEndpointWithoutAQueueNameIsInvalidAndTheSecretsAreHidden) {
  auto r = Parse({"--queue-url=http://127.0.0.1:1"});
  ASSERT_EQ(r.kind, AgentParseResult::Kind::kRun) << r.error;
  std::vector<std::string> lines;
  obs::Logger log({.sink = [&](std::string_view l) { lines.emplace_back(l); }});
  auto q = OpenTaskQueue(r.options, "p-0/1", log);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument) << q.error().ToString();
  EXPECT_NE(q.error().message.find("--queue-name"), std::string::npos) << q.error().message;

  log.Info("probe", {{"k", "the-secret-access-key the-session-token"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("the-secret-access-key"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("the-session-token"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace agentfleet::agent
