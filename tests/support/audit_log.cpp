#include "tests/support/audit_log.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/cluster.h"

namespace agentfleet::testing {

std::vector<AuditedWrite> AuditedWrites(const std::string& ns) {
  std::vector<AuditedWrite> out;
  for (const auto& file : AuditLogFiles()) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded() || !e.is_object() || e.value("stage", "") != "ResponseComplete") {
        continue;
      }
      const auto ref = e.value("objectRef", nlohmann::json::object());
      if (!ns.empty() && ref.value("namespace", "") != ns) continue;
      out.push_back({.verb = e.value("verb", ""),
                     .resource = ref.value("resource", ""),
                     .subresource = ref.value("subresource", ""),
                     .ns = ref.value("namespace", ""),
                     .name = ref.value("name", ""),
                     .user_agent = e.value("userAgent", ""),
                     .code = e.value("responseStatus", nlohmann::json::object()).value("code", 0),
                     .received = e.value("requestReceivedTimestamp", ""),
                     .completed = e.value("stageTimestamp", "")});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const AuditedWrite& a, const AuditedWrite& b) {
    return a.received < b.received;
  });
  return out;
}

}  // namespace agentfleet::testing
