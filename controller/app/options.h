#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "controller/base/flags.h"

namespace agentfleet::app {

// The command-line options of agentfleet-controller, named as kubebuilder-made
// operators name them so that existing manifests and muscle memory carry over.
struct Options {
  std::string kubeconfig;                      // empty: $KUBECONFIG, then in-cluster
  std::string namespace_scope;                 // empty: all namespaces
  std::string metrics_bind_address = ":8080";  // "0" turns the endpoint off
  std::string health_probe_bind_address = ":8081";
  bool leader_elect = false;
  std::string leader_election_namespace;                     // empty: the pod's own namespace
  std::string leader_election_id = "agentfleet-controller";  // the Lease's name
  // client-go's defaults: a standby takes over after lease_duration without a
  // renewal; the leader stops writing at renew_deadline without one.
  std::chrono::milliseconds leader_elect_lease_duration{15'000};
  std::chrono::milliseconds leader_elect_renew_deadline{10'000};
  std::chrono::milliseconds leader_elect_retry_period{2'000};
  double kube_api_qps = 20.0;
  int kube_api_burst = 30;
  std::string log_level = "info";
  // Lend the operator's own AWS identity to SQS fleets without credentialsSecretRef.
  bool allow_operator_cloud_identity = false;
  std::string credential_transport = "warn";                   // tls-only, warn or allow
  int64_t finalizer_lease_timeout = 60;                        // seconds
  int max_concurrent_reconciles = 4;                           // passes of different fleets at once
  std::chrono::milliseconds secret_refresh_interval{300'000};  // see secret_cache.h
  // A pod event starts its fleet's pass this much later, and the events that
  // arrive meanwhile join it (as the Job controller batches pod updates).
  std::chrono::milliseconds pod_event_batch_period{200};
};

using ParseResult = ParsedFlags<Options>;

// Parses argv (without the program name), in the grammar of controller/base/flags.h.
ParseResult ParseOptions(std::span<const std::string_view> args);

// The --help text: every flag with its default and meaning.
std::string Usage(std::string_view program);

}  // namespace agentfleet::app
