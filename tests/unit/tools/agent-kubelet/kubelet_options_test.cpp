#include "tools/agent-kubelet/kubelet_options.h"

#include <gtest/gtest.h>

#include <vector>

namespace agentfleet::tools::agent_kubelet {
namespace {

KubeletParseResult Parse(std::vector<std::string_view> args) {
  return ParseKubeletOptions(args);
}

// As tests/e2e/fleet/fleet_e2e_test.cpp starts it.
TEST(KubeletOptions, TheEndToEndTestsCommandLine) {
  auto r = Parse({"--kubeconfig", "/k", "--namespace", "ns", "--selector",
                  "agentfleet.io/fleet=pricing", "--log-dir", "/tmp/agents", "--poll-ms", "100",
                  "--", "--tick=200ms", "--metrics-bind-address=0"});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.kubeconfig, "/k");
  EXPECT_EQ(r.options.namespace_name, "ns");
  EXPECT_EQ(r.options.selector, "agentfleet.io/fleet=pricing");
  EXPECT_EQ(r.options.log_dir, "/tmp/agents");
  EXPECT_EQ(r.options.poll_ms, 100);
  EXPECT_EQ(r.options.agent, "") << "main fills in the pricing-agent next to agent-kubelet";
  EXPECT_EQ(r.options.agent_args,
            (std::vector<std::string>{"--tick=200ms", "--metrics-bind-address=0"}));
}

TEST(KubeletOptions, EqualsSyntaxAndDefaults) {
  auto r = Parse({"--namespace=ns", "--selector=a=b", "--log-dir=/d", "--agent=/bin/agent"});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_EQ(r.options.selector, "a=b");
  EXPECT_EQ(r.options.agent, "/bin/agent");
  EXPECT_EQ(r.options.poll_ms, 200);
  EXPECT_TRUE(r.options.agent_args.empty());
}

// Agents read an annotations file refreshed once a kubelet sync period, as
// in production; the period comes from a flag or the environment.
TEST(KubeletOptions, AgentsReadAFileRefreshedAsAKubeletDoes) {
  auto r = Parse({"--namespace=ns", "--selector=a=b", "--log-dir=/d"});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_FALSE(r.options.assignment_from_api);
  EXPECT_EQ(r.options.annotations_sync_period, std::chrono::seconds(60));
  std::vector<std::string_view> args{"--namespace=ns", "--selector=a=b", "--log-dir=/d"};
  auto env = ParseKubeletOptions(args, {{"AGENTFLEET_KUBELET_SYNC_PERIOD", "5s"}});
  EXPECT_EQ(env.options.annotations_sync_period, std::chrono::seconds(5));
  r = Parse({"--namespace=ns", "--selector=a=b", "--log-dir=/d", "--assignment-from-api",
             "--annotations-sync-period=250ms"});
  ASSERT_EQ(r.kind, FlagParseKind::kRun) << r.error;
  EXPECT_TRUE(r.options.assignment_from_api);
  EXPECT_EQ(r.options.annotations_sync_period, std::chrono::milliseconds(250));
}

TEST(KubeletOptions, BadCommandLinesAreClearErrors) {
  struct Case {
    std::vector<std::string_view> args;
    std::string_view error;
  };
  for (const auto& c : std::vector<Case>{
           {{"--selector=s", "--log-dir=d"}, "--namespace is required"},
           {{"--namespace=n", "--log-dir=d"}, "--selector is required"},
           {{"--namespace=n", "--selector=s"}, "--log-dir is required"},
           {{"--namespace="}, "invalid value \"\" for --namespace: must not be empty"},
           {{"--namespace"}, "flag --namespace needs a value"},
           {{"--poll-ms=5"},
            "invalid value \"5\" for --poll-ms: must be a whole number of at least 10"},
           {{"--poll-ms=50x"},
            "invalid value \"50x\" for --poll-ms: must be a whole number of at least 10"},
           {{"--nope"}, "unknown flag --nope"},
           {{"--version"}, "unknown flag --version"},
           {{"stray"}, "unexpected argument \"stray\": flags start with --"},
       }) {
    auto r = Parse(c.args);
    EXPECT_EQ(r.kind, FlagParseKind::kError) << c.error;
    EXPECT_EQ(r.error, c.error);
  }
}

TEST(KubeletOptions, Help) {
  EXPECT_EQ(Parse({"--help"}).kind, FlagParseKind::kHelp);
  std::string usage = KubeletUsage("agent-kubelet");
  EXPECT_TRUE(usage.starts_with("Usage: agent-kubelet [flags] [-- AGENT-FLAGS...]\n")) << usage;
  for (auto flag : {"--kubeconfig", "--namespace", "--selector", "--log-dir", "--agent",
                    "--poll-ms value\n      How often the pods are listed, in milliseconds. "
                    "(default \"200\")"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace agentfleet::tools::agent_kubelet
