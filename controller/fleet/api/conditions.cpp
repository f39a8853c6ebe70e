#include "controller/fleet/api/conditions.h"

#include <algorithm>

#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::api {

const Condition* FindCondition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool SetCondition(std::vector<Condition>& conditions, Condition c, Clock::Wall now) {
  for (auto& existing : conditions) {
    if (existing.type != c.type) continue;
    c.last_transition_time = existing.status == c.status ? existing.last_transition_time
                                                         : kube::meta::TruncateToSeconds(now);
    if (existing == c) return false;
    existing = std::move(c);
    return true;
  }
  c.last_transition_time = kube::meta::TruncateToSeconds(now);
  conditions.push_back(std::move(c));
  return true;
}

bool RemoveCondition(std::vector<Condition>& conditions, std::string_view type) {
  auto it = std::remove_if(conditions.begin(), conditions.end(),
                           [&](const Condition& c) { return c.type == type; });
  bool found = it != conditions.end();
  conditions.erase(it, conditions.end());
  return found;
}

void KeepTransitionTimes(const std::vector<Condition>& before, std::vector<Condition>& next) {
  for (auto& c : next) {
    const Condition* was = FindCondition(before, c.type);
    if (was && was->status == c.status) c.last_transition_time = was->last_transition_time;
  }
}

}  // namespace agentfleet::fleet::api
