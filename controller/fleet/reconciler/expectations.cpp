#include "controller/fleet/reconciler/expectations.h"

#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {

void Expectations::Observe(const CachedPods& cached, Clock::Monotonic now) {
  for (const auto& [name, pod] : cached) {
    created_.erase(name);
    if (auto w = written_.find(name);
        w != written_.end() && w->second.resource_version_before != pod->meta.resource_version) {
      written_.erase(w);
    }
    if (auto m = marked_.find(name);
        m != marked_.end() && m->second != pod->meta.resource_version) {
      marked_.erase(m);
    }
  }
  for (auto it = created_.begin(); it != created_.end();) {
    it = now - it->second > create_timeout_ ? created_.erase(it) : std::next(it);
  }
  if (deleted_.empty()) return;
  std::set<std::string> live;
  for (const auto& [name, pod] : cached) {
    if (!pod->meta.deleting) live.insert(pod->meta.uid);
  }
  SettleDeletes(live, now);
}

void Expectations::SettleDeletes(const std::set<std::string>& live, Clock::Monotonic now) {
  for (auto it = deleted_.begin(); it != deleted_.end();) {
    const bool settled = live.count(it->first) == 0 || now - it->second >= create_timeout_;
    it = settled ? deleted_.erase(it) : std::next(it);
  }
}

void Expectations::Correct(planner::PodView& view, uint32_t shards, planner::Time now) const {
  if (auto w = written_.find(view.name); w != written_.end()) {
    view.assigned.clear();
    if (auto parsed = sources::protocol::ParseShardRanges(w->second.shards, shards)) {
      view.assigned = std::move(*parsed);
    }
  }
  if (marked_.count(view.name) > 0) {
    if (!view.retiring) view.retiring_since = now;
    view.retiring = true;
  }
}

std::vector<std::string> Expectations::PendingCreates() const {
  std::vector<std::string> out;
  out.reserve(created_.size());
  for (const auto& [name, at] : created_) out.push_back(name);
  return out;
}

std::optional<Clock::Monotonic> Expectations::CreatedAt(const std::string& pod) const {
  auto it = created_.find(pod);
  if (it == created_.end()) return std::nullopt;
  return it->second;
}

const Expectations::Assignment* Expectations::Written(const std::string& pod) const {
  auto it = written_.find(pod);
  return it == written_.end() ? nullptr : &it->second;
}

void Expectations::Forget(const std::string& pod) {
  created_.erase(pod);
  written_.erase(pod);
  marked_.erase(pod);
}

}  // namespace agentfleet::fleet::reconciler
