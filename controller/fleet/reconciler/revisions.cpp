#include "controller/fleet/reconciler/revisions.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/agent_pod.h"

namespace agentfleet::fleet::reconciler {

std::string TemplateHash(const api::Fleet& fleet) {
  const nlohmann::json basis = {{"template", fleet.spec.pod_template}, {"env", AgentEnv(fleet)}};
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : basis.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string PodRevision(const kube::informer::PodRecord& pod, const std::string& unlabelled) {
  const std::string* label = pod.meta.Label(api::kTemplateHashLabel);
  return label ? *label : unlabelled;
}

RevisionCounts CountRevisions(const Expectations::CachedPods& pods,
                              const std::vector<std::string>& removed,
                              const std::string& update_revision, const std::string& unlabelled) {
  RevisionCounts out;
  std::map<std::string, int32_t> others;
  for (const auto& [name, pod] : pods) {
    if (!pod || pod->meta.deleting) continue;
    if (std::find(removed.begin(), removed.end(), name) != removed.end()) continue;
    if (pod->meta.Annotation(api::kRetiringAnnotation)) continue;
    const std::string revision = PodRevision(*pod, unlabelled);
    if (revision == update_revision) {
      ++out.updated;
    } else {
      ++others[revision];
    }
  }
  out.current_revision = update_revision;
  int32_t most = 0;
  for (const auto& [revision, count] : others) {
    if (count > most) {
      most = count;
      out.current_revision = revision;
    }
  }
  return out;
}

}  // namespace agentfleet::fleet::reconciler
