#include "controller/app/options.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace agentfleet::app {
namespace {

ParseResult Parse(std::vector<std::string_view> args) {
  return ParseOptions(args);
}

TEST(Options, DefaultsWithoutFlags) {
  auto r = Parse({});
  ASSERT_EQ(r.kind, ParseResult::Kind::kRun);
  EXPECT_EQ(r.options.metrics_bind_address, ":8080");
  EXPECT_EQ(r.options.health_probe_bind_address, ":8081");
  EXPECT_FALSE(r.options.leader_elect);
  EXPECT_DOUBLE_EQ(r.options.kube_api_qps, 20.0);
  EXPECT_EQ(r.options.kube_api_burst, 30);
  EXPECT_EQ(r.options.log_level, "info");
  EXPECT_EQ(r.options.leader_election_id, "agentfleet-controller");
  EXPECT_FALSE(r.options.allow_operator_cloud_identity) << "the operator's identity is not lent";
  EXPECT_EQ(r.options.credential_transport, "warn");
}

TEST(Options, IdentityAndTransportPolicies) {
  auto r = Parse({"--allow-operator-cloud-identity", "--credential-transport=tls-only"});
  ASSERT_EQ(r.kind, ParseResult::Kind::kRun) << r.error;
  EXPECT_TRUE(r.options.allow_operator_cloud_identity);
  EXPECT_EQ(r.options.credential_transport, "tls-only");
  EXPECT_EQ(Parse({"--credential-transport", "allow"}).options.credential_transport, "allow");
}

TEST(Options, FinalizerLeaseTimeout) {
  EXPECT_EQ(Parse({}).options.finalizer_lease_timeout, 60);
  EXPECT_EQ(Parse({"--finalizer-lease-timeout=5"}).options.finalizer_lease_timeout, 5);
  EXPECT_EQ(Parse({"--finalizer-lease-timeout", "0"}).options.finalizer_lease_timeout, 0);
}

TEST(Options, MaxConcurrentReconciles) {
  EXPECT_EQ(Parse({}).options.max_concurrent_reconciles, 4);
  EXPECT_EQ(Parse({"--max-concurrent-reconciles=16"}).options.max_concurrent_reconciles, 16);
}

TEST(Options, SecretRefreshInterval) {
  using std::chrono::milliseconds;
  EXPECT_EQ(Parse({}).options.secret_refresh_interval, milliseconds(300'000));
  EXPECT_EQ(Parse({"--secret-refresh-interval=1m"}).options.secret_refresh_interval,
            milliseconds(60'000));
}

TEST(Options, PodEventBatchPeriod) {
  using std::chrono::milliseconds;
  EXPECT_EQ(Parse({}).options.pod_event_batch_period, milliseconds(200));
  EXPECT_EQ(Parse({"--pod-event-batch-period=0s"}).options.pod_event_batch_period, milliseconds(0));
  EXPECT_EQ(Parse({"--pod-event-batch-period=1s"}).options.pod_event_batch_period,
            milliseconds(1000));
}

TEST(Options, LeaderElectionTimings) {
  using std::chrono::milliseconds;
  auto d = Parse({});
  EXPECT_EQ(d.options.leader_elect_lease_duration, milliseconds(15'000));
  EXPECT_EQ(d.options.leader_elect_renew_deadline, milliseconds(10'000));
  EXPECT_EQ(d.options.leader_elect_retry_period, milliseconds(2'000));
  auto r = Parse({"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline", "3s",
                  "--leader-elect-retry-period=500ms"});
  ASSERT_EQ(r.kind, ParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.leader_elect_lease_duration, milliseconds(4'000));
  EXPECT_EQ(r.options.leader_elect_renew_deadline, milliseconds(3'000));
  EXPECT_EQ(r.options.leader_elect_retry_period, milliseconds(500));
}

TEST(Options, EqualsAndSpaceSeparatedValues) {
  auto r = Parse({"--kubeconfig=/tmp/kc", "--namespace", "pricing", "--kube-api-qps=50.5",
                  "--kube-api-burst", "100", "--log-level=debug", "--metrics-bind-address=0",
                  "--health-probe-bind-address", "127.0.0.1:9000",
                  "--leader-election-namespace=ops", "--leader-election-id", "team-a-agentfleet"});
  ASSERT_EQ(r.kind, ParseResult::Kind::kRun) << r.error;
  EXPECT_EQ(r.options.kubeconfig, "/tmp/kc");
  EXPECT_EQ(r.options.namespace_scope, "pricing");
  EXPECT_DOUBLE_EQ(r.options.kube_api_qps, 50.5);
  EXPECT_EQ(r.options.kube_api_burst, 100);
  EXPECT_EQ(r.options.log_level, "debug");
  EXPECT_EQ(r.options.metrics_bind_address, "0");
  EXPECT_EQ(r.options.health_probe_bind_address, "127.0.0.1:9000");
  EXPECT_EQ(r.options.leader_election_namespace, "ops");
  EXPECT_EQ(r.options.leader_election_id, "team-a-agentfleet");
}

TEST(Options, BooleanFlagAloneOrWithValue) {
  EXPECT_TRUE(Parse({"--leader-elect"}).options.leader_elect);
  EXPECT_TRUE(Parse({"--leader-elect=true"}).options.leader_elect);
  EXPECT_FALSE(Parse({"--leader-elect=false"}).options.leader_elect);
  auto bad = Parse({"--leader-elect=maybe"});
  EXPECT_EQ(bad.kind, ParseResult::Kind::kError);
  EXPECT_NE(bad.error.find("--leader-elect"), std::string::npos);
}

TEST(Options, HelpAndVersion) {
  EXPECT_EQ(Parse({"--help"}).kind, ParseResult::Kind::kHelp);
  EXPECT_EQ(Parse({"-h"}).kind, ParseResult::Kind::kHelp);
  EXPECT_EQ(Parse({"--version"}).kind, ParseResult::Kind::kVersion);
}

TEST(Options, UsageListsEveryFlag) {
  auto text = Usage("agentfleet-controller");
  for (auto flag :
       {"--kubeconfig", "--namespace", "--metrics-bind-address", "--health-probe-bind-address",
        "--leader-elect", "--leader-election-namespace", "--kube-api-qps", "--kube-api-burst",
        "--log-level", "--allow-operator-cloud-identity", "--credential-transport",
        "--finalizer-lease-timeout", "--max-concurrent-reconciles", "--leader-elect-lease-duration",
        "--leader-elect-renew-deadline", "--leader-elect-retry-period", "--secret-refresh-interval",
        "--help", "--version"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
  }
}

struct BadCase {
  std::vector<std::string_view> args;
  std::string_view expected;
};

TEST(Options, MalformedFlagsNameTheFlagAndTheProblem) {
  std::vector<BadCase> cases = {
      {{"--no-such-flag"}, "unknown flag --no-such-flag"},
      {{"--credential-transport=plain"}, "--credential-transport: must be tls-only, warn or allow"},
      {{"--finalizer-lease-timeout=-1"}, "--finalizer-lease-timeout: must be"},
      {{"--finalizer-lease-timeout=soon"}, "--finalizer-lease-timeout: must be"},
      {{"--max-concurrent-reconciles=0"}, "--max-concurrent-reconciles: must be"},
      {{"--secret-refresh-interval=10ms"}, "--secret-refresh-interval: must be"},
      {{"--max-concurrent-reconciles=1000"}, "--max-concurrent-reconciles: must be"},
      {{"--kube-api-qps=fast"}, "--kube-api-qps: must be a number greater than 0"},
      {{"--kube-api-qps=0"}, "--kube-api-qps: must be a number greater than 0"},
      {{"--kube-api-qps=inf"}, "--kube-api-qps: must be a number greater than 0"},
      {{"--kube-api-burst=2.5"}, "--kube-api-burst: must be a whole number"},
      {{"--kube-api-burst=0"}, "--kube-api-burst: must be a whole number"},
      {{"--log-level=verbose"}, "--log-level: must be one of"},
      {{"--metrics-bind-address=8080"},
       "for --metrics-bind-address: bind address \"8080\": must be host:port"},
      {{"--health-probe-bind-address=:99999"}, "port must be a number from 0 to 65535"},
      {{"--namespace"}, "flag --namespace needs a value"},
      {{"--leader-election-id="}, "--leader-election-id: must not be empty"},
      {{"--leader-elect-lease-duration=15"}, "--leader-elect-lease-duration"},
      {{"--leader-elect-renew-deadline=100ms"}, "--leader-elect-renew-deadline: must be"},
      // The standby must wait longer than the leader may write; the leader
      // must get more than one try before its deadline.
      {{"--leader-elect-renew-deadline=15s"},
       "--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline"},
      {{"--leader-elect-lease-duration=10s"},
       "--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline"},
      {{"--leader-elect-retry-period=10s"},
       "--leader-elect-renew-deadline must be longer than --leader-elect-retry-period"},
      {{"stray"}, "unexpected argument \"stray\""},
      {{"--"}, "unexpected argument \"--\""},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.args);
    EXPECT_EQ(r.kind, ParseResult::Kind::kError) << c.args[0];
    EXPECT_NE(r.error.find(c.expected), std::string::npos)
        << "error \"" << r.error << "\" lacks \"" << c.expected << "\"";
  }
}

TEST(Options, AFailedFlagLeavesNoPartialValue) {
  auto r = Parse({"--kube-api-burst=-3"});
  ASSERT_EQ(r.kind, ParseResult::Kind::kError);
  EXPECT_EQ(r.options.kube_api_burst, Options{}.kube_api_burst);
}

}  // namespace
}  // namespace agentfleet::app
