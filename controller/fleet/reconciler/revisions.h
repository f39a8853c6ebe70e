#pragma once

// Template revisions: which pods were made from the fleet's current template.
// A revision is a hash of spec.template and of the agent settings the
// operator writes into every pod (AgentEnv): what changes the pod it makes.
// Pods carry it in the agentfleet.io/template-hash label.

#include <cstdint>
#include <string>

#include "controller/fleet/api/types.h"
#include "controller/fleet/reconciler/expectations.h"

namespace agentfleet::fleet::reconciler {

// 16 hex digits of a 64-bit FNV-1a hash of the template and the agent
// settings, serialised with sorted keys: equal specs, equal revisions.
std::string TemplateHash(const api::Fleet& fleet);

// A pod's revision: its label; a pod without one (made before revisions
// existed) is taken as of `unlabelled`.
std::string PodRevision(const kube::informer::PodRecord& pod, const std::string& unlabelled);

struct RevisionCounts {
  int32_t updated = 0;           // live pods of the update revision
  std::string current_revision;  // the most common revision of the other live pods
};

// Over the live pods (present, not retiring, not in `removed`): how many run
// `update_revision`, and what the others run (update_revision when none do
// otherwise). Unlabelled pods count as `unlabelled`.
RevisionCounts CountRevisions(const Expectations::CachedPods& pods,
                              const std::vector<std::string>& removed,
                              const std::string& update_revision, const std::string& unlabelled);

}  // namespace agentfleet::fleet::reconciler
