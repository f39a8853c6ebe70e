#pragma once

// Pod annotations through which the operator tells an agent what to own.

#include <cstdint>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::sources::protocol {

// The shards assigned to the pod, in compact ranges: "0-15,32,40-47".
inline constexpr std::string_view kShardsAnnotation = "agentfleet.io/shards";
// A counter the operator bumps on every rewrite of the pod's assignment; an
// agent ignores an assignment older than one it has already applied.
inline constexpr std::string_view kAssignmentGenerationAnnotation =
    "agentfleet.io/assignment-generation";

// Parses the generation annotation: a non-negative decimal without sign or
// leading zeros.
Result<int64_t> ParseAssignmentGeneration(std::string_view text);

}  // namespace agentfleet::sources::protocol
