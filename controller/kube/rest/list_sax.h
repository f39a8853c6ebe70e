#pragma once

#include <functional>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/base/result.h"

namespace agentfleet::kube::rest {

struct ListMeta {
  std::string resource_version;
  std::string continue_token;
  size_t items = 0;
};

// Parses a Kubernetes list response from a stream and hands over each element
// of "items" as soon as it is complete: a 10,000-pod list never exists as one
// document in memory, only one item at a time. No item, and no stretch of the
// stream between two items, may be longer than `budget` bytes: past it the
// parse stops, having read at most `budget` bytes more, with kResourceExhausted.
Result<ListMeta> ParseListStream(std::istream& in,
                                 const std::function<void(nlohmann::json&& item)>& on_item,
                                 size_t budget = size_t{64} << 20);

}  // namespace agentfleet::kube::rest
