#include "controller/app/options.h"

#include "controller/obs/flag_checks.h"

namespace agentfleet::app {
namespace {

Status CheckCredentialTransport(std::string_view v) {
  if (v == "tls-only" || v == "warn" || v == "allow") return Ok{};
  return MakeError(ErrorCode::kInvalidArgument, "must be tls-only, warn or allow");
}

FlagSet Flags(Options& o) {
  FlagSet set({.summary = "Runs the agentfleet operator: reconciles PricingAgentFleet objects.",
               .version = true});
  set.String({.name = "kubeconfig",
              .help = "Path to a kubeconfig. Empty: $KUBECONFIG, then the in-cluster "
                      "configuration."},
             &o.kubeconfig);
  set.String(
      {.name = "namespace", .help = "Namespace whose fleets are managed. Empty: all namespaces."},
      &o.namespace_scope);
  set.String({.name = "metrics-bind-address",
              .help = "Address the /metrics endpoint binds to; 0 turns it off."},
             &o.metrics_bind_address, obs::CheckBindAddress);
  set.String({.name = "health-probe-bind-address",
              .help = "Address the /healthz and /readyz endpoints bind to; 0 turns them off."},
             &o.health_probe_bind_address, obs::CheckBindAddress);
  set.Bool({.name = "leader-elect",
            .help = "Elect a leader through a coordination.k8s.io Lease; only the leader "
                    "reconciles."},
           &o.leader_elect);
  set.String({.name = "leader-election-namespace",
              .help = "Namespace of the leader-election Lease. Empty: the operator's own "
                      "namespace."},
             &o.leader_election_namespace);
  set.String({.name = "leader-election-id",
              .help = "Name of the leader-election Lease: operators that share one must manage "
                      "the same fleets; two installations in one namespace need two names."},
             &o.leader_election_id, NonEmpty);
  set.Duration({.name = "leader-elect-lease-duration",
                .help = "How long a standby waits without seeing the Lease renewed before it "
                        "takes over. Must exceed --leader-elect-renew-deadline: the difference "
                        "is the margin for a write sent just before the deadline to land."},
               &o.leader_elect_lease_duration, std::chrono::milliseconds(1000));
  set.Duration({.name = "leader-elect-renew-deadline",
                .help = "How long the leader keeps writing without a successful renewal; then "
                        "it refuses every write and exits. Each renewal attempt, its timeouts "
                        "and retries included, ends by it."},
               &o.leader_elect_renew_deadline, std::chrono::milliseconds(500));
  set.Duration({.name = "leader-elect-retry-period",
                .help = "How often the leader renews the Lease and a standby tries to take it. "
                        "Must be shorter than --leader-elect-renew-deadline."},
               &o.leader_elect_retry_period, std::chrono::milliseconds(100));
  set.Number({.name = "kube-api-qps",
              .help = "Sustained requests per second to the API server (client-side token "
                      "bucket)."},
             &o.kube_api_qps, 0);
  set.Int({.name = "kube-api-burst", .help = "Burst of requests allowed above --kube-api-qps."},
          &o.kube_api_burst, 1);
  set.String(
      {.name = "log-level", .help = "Least severe level logged: debug, info, warn or error."},
      &o.log_level, obs::CheckLevelName);
  set.Int({.name = "finalizer-lease-timeout",
           .help = "Seconds a deleted fleet waits at most for its lease records to be deleted "
                   "once its pods are gone (a store gone with the namespace, its Secret "
                   "deleted); then it is let go with a Warning Event."},
          &o.finalizer_lease_timeout, 0);
  set.Duration({.name = "secret-refresh-interval",
                .help = "How long a Secret a fleet uses is taken from the operator's cache "
                        "before it is read again. A source that refuses the credentials, or "
                        "fails to open, has them read again before its next attempt."},
               &o.secret_refresh_interval, std::chrono::milliseconds(1000));
  set.Duration({.name = "pod-event-batch-period",
                .help = "How long after a pod event its fleet's pass starts; the events of the "
                        "fleet's pods meanwhile join that pass. 0: a pass per event at once. "
                        "During a large scale-up each pod changes several times a second, and "
                        "a pass over thousands of pods per change costs the CPU the API "
                        "server needs."},
               &o.pod_event_batch_period, std::chrono::milliseconds(0));
  set.Int({.name = "max-concurrent-reconciles",
           .help = "Fleets reconciled at once (one pass per fleet at a time): a source that is "
                   "slow to answer holds one of these for its timeout."},
          &o.max_concurrent_reconciles, 1, 256);
  set.Bool({.name = "allow-operator-cloud-identity",
            .help = "Let an SQS queue without credentialsSecretRef be read with the operator's own "
                    "AWS identity (environment keys, web identity, container credentials). Off: "
                    "such a fleet is told CredentialsRequired and no request is made, since its "
                    "author chooses the queue URL."},
           &o.allow_operator_cloud_identity);
  set.String({.name = "credential-transport",
              .help = "Credentials a fleet would send without TLS (Redis AUTH over redis://, "
                      "Basic auth over http://, SQS signed over http://, PostgreSQL with "
                      "sslMode disable): tls-only refuses the fleet, warn reports "
                      "InsecureCredentialTransport and proceeds, allow says nothing."},
             &o.credential_transport, CheckCredentialTransport);
  return set;
}

}  // namespace

ParseResult ParseOptions(std::span<const std::string_view> args) {
  ParseResult parsed = ParseFlags(Flags, args);
  if (parsed.kind != FlagParseKind::kRun) return parsed;
  const Options& o = parsed.options;
  std::string error;
  if (o.leader_elect_lease_duration <= o.leader_elect_renew_deadline) {
    error = "--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline";
  } else if (o.leader_elect_renew_deadline <= o.leader_elect_retry_period) {
    error = "--leader-elect-renew-deadline must be longer than --leader-elect-retry-period";
  }
  if (!error.empty()) {
    parsed.kind = FlagParseKind::kError;
    parsed.error = error;
    parsed.options = Options{};
  }
  return parsed;
}

std::string Usage(std::string_view program) {
  return FlagUsage(Flags, program);
}

}  // namespace agentfleet::app
