#include "tools/agent-kubelet/kubelet_options.h"

namespace agentfleet::tools::agent_kubelet {
namespace {

FlagSet Flags(KubeletOptions& o) {
  FlagSet set({.summary =
                   "Runs one pricing-agent process for every Ready pod that matches --selector, "
                   "with\nthe environment the pod's first container declares: the kubelet's "
                   "part for pods\non kwok's fake nodes, which run no containers (the "
                   "end-to-end tests, make demo).\nThe flags after -- go to every agent."});
  set.String({.name = "kubeconfig",
              .help = "Path to a kubeconfig. Empty: $KUBECONFIG, then the in-cluster "
                      "configuration."},
             &o.kubeconfig);
  set.String({.name = "namespace", .help = "Namespace of the pods. Required.", .required = true},
             &o.namespace_name, NonEmpty);
  set.String(
      {.name = "selector", .help = "Label selector of the pods. Required.", .required = true},
      &o.selector, NonEmpty);
  set.String({.name = "log-dir",
              .help = "Directory of the agents' logs, <pod>.log each. Required.",
              .required = true},
             &o.log_dir, NonEmpty);
  set.String(
      {.name = "agent", .help = "The pricing-agent binary. Empty: the one next to agent-kubelet."},
      &o.agent);
  set.Int({.name = "poll-ms", .help = "How often the pods are listed, in milliseconds."},
          &o.poll_ms, 10);
  set.Duration({.name = "annotations-sync-period",
                .help = "How often each agent's downward-API annotations file is refreshed, as "
                        "a kubelet's sync period.",
                .env = "AGENTFLEET_KUBELET_SYNC_PERIOD"},
               &o.annotations_sync_period, std::chrono::milliseconds(1));
  set.Bool({.name = "assignment-from-api",
            .help = "Run the agents with --assignment-from-api (they watch their Pod) instead of "
                    "an annotations file."},
           &o.assignment_from_api);
  set.Rest(&o.agent_args, "AGENT-FLAGS");
  return set;
}

}  // namespace

KubeletParseResult ParseKubeletOptions(std::span<const std::string_view> args,
                                       const std::map<std::string, std::string>& env) {
  return ParseFlags(Flags, args, env);
}

std::string KubeletUsage(std::string_view program) {
  return FlagUsage(Flags, program);
}

}  // namespace agentfleet::tools::agent_kubelet
