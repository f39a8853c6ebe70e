#pragma once

// What the operator assigned to this pod, from its annotations (see
// docs/protocol.md §2) either in the downward-API file the kubelet writes or in
// the Pod read through the API.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::agent {

struct Assignment {
  // False when the pod carries no agentfleet.io/shards annotation yet (nothing
  // assigned): the shards are empty and the generation 0.
  bool present = false;
  int64_t generation = 0;
  std::vector<uint32_t> shards;  // ascending
  bool operator==(const Assignment&) const = default;
};

// Looks an annotation up by key; nullptr when absent.
using AnnotationLookup = std::function<const std::string*(std::string_view key)>;

// Reads both annotations. The generation is required when the shards are
// present. kInvalidArgument naming the annotation and the problem otherwise.
Result<Assignment> AssignmentFromAnnotations(const AnnotationLookup& lookup, uint32_t shard_count);

// Parses the downward-API rendering of metadata.annotations: one `key="value"`
// a line, values Go-quoted; blank lines are ignored. Any malformed line makes
// the whole file malformed (a half-written or foreign file is not trusted).
Result<std::map<std::string, std::string>> ParseAnnotationsFile(std::string_view content);

// Both steps. Errors carry the line number when a line is at fault.
Result<Assignment> ParseAssignmentFile(std::string_view content, uint32_t shard_count);

// Whether `next` should replace the applied assignment of generation
// `applied_generation`: only a strictly newer generation does (an absent
// assignment never replaces one).
bool ShouldApply(int64_t applied_generation, bool applied_any, const Assignment& next);

}  // namespace agentfleet::agent
