#include <iostream>
#include <string_view>
#include <vector>

#include "controller/app/options.h"
#include "controller/app/version.h"

int main(int argc, char** argv) {
  using agentfleet::app::ParseResult;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  ParseResult parsed = agentfleet::app::ParseOptions(args);
  switch (parsed.kind) {
    case ParseResult::Kind::kHelp:
      std::cout << agentfleet::app::Usage(argv[0]);
      return 0;
    case ParseResult::Kind::kVersion:
      std::cout << "agentfleet-controller " << agentfleet::app::Version() << "\n";
      return 0;
    case ParseResult::Kind::kError:
      std::cerr << "agentfleet-controller: " << parsed.error << "\n"
                << "Run '" << argv[0] << " --help' for the list of flags.\n";
      return 2;
    case ParseResult::Kind::kRun:
      break;
  }
  const auto& o = parsed.options;
  // The reconcilers arrive with the runtime; until then the controller reports
  // the configuration it would run with.
  std::cout << "agentfleet-controller " << agentfleet::app::Version() << "\n"
            << "  kubeconfig=" << (o.kubeconfig.empty() ? "(auto)" : o.kubeconfig) << "\n"
            << "  namespace=" << (o.namespace_scope.empty() ? "(all)" : o.namespace_scope) << "\n"
            << "  metrics-bind-address=" << o.metrics_bind_address << "\n"
            << "  health-probe-bind-address=" << o.health_probe_bind_address << "\n"
            << "  leader-elect=" << (o.leader_elect ? "true" : "false") << "\n"
            << "  kube-api-qps=" << o.kube_api_qps << " kube-api-burst=" << o.kube_api_burst << "\n"
            << "  log-level=" << o.log_level << "\n";
  return 0;
}
