#pragma once

// What the planner observes of a fleet, as plain values the reconciler fills
// from its caches and the lease snapshot.

#include <cstdint>
#include <string>
#include <vector>

#include "controller/fleet/planner/time.h"

namespace agentfleet::fleet::planner {

struct PodView {
  std::string name;
  bool ready = false;     // the Ready condition is True
  bool retiring = false;  // carries the retirement mark (an annotation)
  Time retiring_since{};  // when the mark was written; meaningful when retiring
  Time created_at{};      // metadata.creationTimestamp
  bool outdated = false;  // made from an older revision of the template
  // The current agentfleet.io/shards annotation, parsed. Any order; shards
  // outside [0, shards) are ignored.
  std::vector<uint32_t> assigned;
};

// One record of the lease table. `valid` is the store's verdict (unexpired in
// the store's own clock). `holder` is the agent's pod name.
struct LeaseView {
  uint32_t shard = 0;
  std::string holder;
  bool valid = false;
};

// Why a source's reading is absent, in the planner's words: the reconciler
// maps its error model onto these, the planner names the Degraded reason.
enum class FaultKind {
  kUnreadable,            // the source was opened, the read failed
  kNotFound,              // a referenced Secret or key, or the queue, does not exist
  kAccessDenied,          // the credentials were refused
  kInvalidConfiguration,  // the settings cannot work
  kUnavailable,           // the source could not be opened
  // The queue names no credentials and the installation lends the fleet none
  // of the operator's: nothing was asked of it.
  kCredentialsRequired,
};

struct SourceFault {
  FaultKind kind = FaultKind::kUnreadable;
  std::string message;  // never a credential
};

}  // namespace agentfleet::fleet::planner
