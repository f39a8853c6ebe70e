#pragma once

// The fixture cluster's audit log read back (tests/cluster/cluster.sh keeps
// every write at Metadata level): evidence from outside the operator of who
// wrote what, and when.

#include <string>
#include <vector>

namespace agentfleet::testing {

struct AuditedWrite {
  std::string verb;  // create, update, patch, delete, deletecollection
  std::string resource, subresource, ns, name;
  std::string user_agent;
  int code = 0;  // the answer's HTTP status
  // RFC 3339 in UTC with microseconds, as the API server writes them, so
  // that they order as strings: when the request arrived, when it was answered.
  std::string received, completed;
};

// The completed writes to namespace `ns` (all namespaces when empty), in the
// order the API server received them.
std::vector<AuditedWrite> AuditedWrites(const std::string& ns);

}  // namespace agentfleet::testing
