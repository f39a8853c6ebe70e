#pragma once

// The fast path of an assignment (docs/protocol.md §3, "Published
// assignments"). A real kubelet refreshes a pod's downward-API file on its own
// schedule (about a minute), so after a pass's annotation patches every pod's
// assignment is also published in the fleet's lease store, which its agent
// reads on every lease tick. The annotations stay the declarative record.
//
// Level-triggered like the rest of the pass: it lists the store's records of
// the fleet and writes only what differs from what the pods carry (or what
// this process has just written to them), so a converged fleet costs one read
// and no write, an operator restart or a store that lost its data is repaired
// by the next pass, and records of pods that are gone are removed. Every
// write passes the lease write gate. A failure is logged and counted, never
// fails the pass: the annotation still reaches the agent, only later.

#include <cstddef>
#include <set>
#include <string>

#include "controller/fleet/reconciler/act.h"

namespace agentfleet::fleet::reconciler {

struct PublishOutcome {
  size_t published = 0;  // records written (a newer one in the store is skipped)
  size_t removed = 0;    // records of gone pods asked to be removed
  std::string error;     // empty: none
};

// `removing`: the pods the pass deletes (their records go).
PublishOutcome PublishAssignments(const ActContext& ctx, const std::set<std::string>& removing);

}  // namespace agentfleet::fleet::reconciler
