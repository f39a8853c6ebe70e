#pragma once

// The command line of agent-kubelet. Pure, so that it is unit-tested.

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
  std::vector<std::string> agent_args;  // after "--": given to every agent
};

using KubeletParseResult = ParsedFlags<KubeletOptions>;

// Parses argv (without the program name).
KubeletParseResult ParseKubeletOptions(std::span<const std::string_view> args);

// The --help text.
std::string KubeletUsage(std::string_view program);

}  // namespace agentfleet::tools::agent_kubelet
