#include "controller/fleet/planner/pod_names.h"

#include <charconv>

namespace agentfleet::fleet::planner {

std::optional<uint64_t> PodIndex(std::string_view fleet, std::string_view name) {
  if (name.size() <= fleet.size() + 1 || name.substr(0, fleet.size()) != fleet ||
      name[fleet.size()] != '-') {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(fleet.size() + 1);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  uint64_t index = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

std::string PodName(std::string_view fleet, uint64_t index) {
  std::string name(fleet);
  name += '-';
  name += std::to_string(index);
  return name;
}

std::vector<std::string> NewPodNames(std::string_view fleet, size_t count,
                                     const std::unordered_set<std::string_view>& taken) {
  std::vector<std::string> names;
  names.reserve(count);
  for (uint64_t index = 0; names.size() < count; ++index) {
    std::string name = PodName(fleet, index);
    if (!taken.contains(name)) names.push_back(std::move(name));
  }
  return names;
}

}  // namespace agentfleet::fleet::planner
