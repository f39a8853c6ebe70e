#pragma once

#include <span>
#include <string>
#include <string_view>

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
  double kube_api_qps = 20.0;
  int kube_api_burst = 30;
  std::string log_level = "info";
};

struct ParseResult {
  enum class Kind { kRun, kHelp, kVersion, kError };
  Kind kind = Kind::kRun;
  Options options;
  std::string error;  // set when kind == kError; names the flag and the problem
};

// Parses argv (without the program name). Accepts --flag=value and --flag value;
// a boolean flag alone means true.
ParseResult ParseOptions(std::span<const std::string_view> args);

// The --help text: every flag with its default and meaning.
std::string Usage(std::string_view program);

}  // namespace agentfleet::app
