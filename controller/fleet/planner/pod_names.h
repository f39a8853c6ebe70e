#pragma once

// Pod names: "<fleet>-<index>", with the lowest indexes not in use. An index
// is in use while a pod of that name exists (retiring or not) or while its
// name still holds a valid lease, so a new pod never takes the identity of an
// agent that may still be working.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace agentfleet::fleet::planner {

// The index of "<fleet>-<index>" (decimal, no leading zeros), if `name` has
// that form.
std::optional<uint64_t> PodIndex(std::string_view fleet, std::string_view name);

std::string PodName(std::string_view fleet, uint64_t index);

// `count` new names, lowest free indexes first, avoiding every name in `taken`.
std::vector<std::string> NewPodNames(std::string_view fleet, size_t count,
                                     const std::unordered_set<std::string_view>& taken);

}  // namespace agentfleet::fleet::planner
