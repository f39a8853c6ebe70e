#pragma once

// The command line of agent-kubelet. Pure, so that it is unit-tested.

#include <chrono>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/flags.h"

namespace agentfleet::tools::agent_kubelet {

struct KubeletOptions {
  std::string kubeconfig;      // empty: $KUBECONFIG, then in-cluster
  std::string namespace_name;  // the pods' namespace (required)
  std::string selector;        // label selector of the pods (required)
  std::string log_dir;         // one <pod>.log per agent (required)
  std::string agent;           // the pricing-agent binary; empty: the one next to agent-kubelet
  int poll_ms = 200;
  // As a kubelet does: each agent reads its pod's annotations from a
  // downward-API file, which is written before the agent starts and then
  // refreshed once every period (the kubelet's sync period, a minute by
  // default): a change waits up to a period, as in a real cluster.
  std::chrono::milliseconds annotations_sync_period{60'000};
  // Instead of the file, agents watch their Pod through the API (the
  // pre-store harness; for tests that need it).
  bool assignment_from_api = false;
  std::vector<std::string> agent_args;  // after "--": given to every agent
};

using KubeletParseResult = ParsedFlags<KubeletOptions>;

// Parses argv (without the program name) over the environment `env`.
KubeletParseResult ParseKubeletOptions(std::span<const std::string_view> args,
                                       const std::map<std::string, std::string>& env = {});

// The --help text.
std::string KubeletUsage(std::string_view program);

}  // namespace agentfleet::tools::agent_kubelet
