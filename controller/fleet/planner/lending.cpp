#include "controller/fleet/planner/lending.h"

#include <algorithm>

namespace agentfleet::fleet::planner {
std::vector<std::vector<uint32_t>> ClaimsForAssigner(uint32_t shards,
                                                     std::span<const LendingPod> pods,
                                                     const std::map<uint32_t, std::string>& lent) {
  // Per shard, the one claim that wins (-1: none decided here): the pod it
  // was lent to, else the first starting pod that claims it. Overlaps among
  // Ready pods alone are the assigner's to settle, by the lease holder.
  std::vector<int64_t> winner(shards, -1);
  std::vector<uint8_t> by_loan(shards, 0);
  for (size_t i = 0; i < pods.size(); ++i) {
    if (pods[i].claimant == Claimant::kNone) continue;
    for (uint32_t s : *pods[i].annotated) {
      if (s >= shards || by_loan[s]) continue;
      auto loan = lent.find(s);
      if (loan != lent.end() && loan->second == *pods[i].name) {
        winner[s] = static_cast<int64_t>(i);
        by_loan[s] = 1;
      } else if (pods[i].claimant == Claimant::kStarting && winner[s] < 0) {
        winner[s] = static_cast<int64_t>(i);
      }
    }
  }
  std::vector<std::vector<uint32_t>> out(pods.size());
  for (size_t i = 0; i < pods.size(); ++i) {
    out[i] = *pods[i].annotated;
    if (pods[i].claimant == Claimant::kNone) continue;
    std::erase_if(out[i], [&](uint32_t s) {
      return s < shards && winner[s] >= 0 && winner[s] != static_cast<int64_t>(i);
    });
  }
  return out;
}

std::map<uint32_t, std::string> Lend(uint32_t shards, std::span<const LendingPod> pods,
                                     std::span<const std::string* const> created,
                                     const std::map<uint32_t, std::string>& lent,
                                     std::span<const std::vector<uint32_t>> claims,
                                     std::vector<std::vector<uint32_t>>& assigned) {
  auto name = [&](size_t i) -> const std::string& {
    return i < pods.size() ? *pods[i].name : *created[i - pods.size()];
  };
  std::vector<int64_t> owner(shards, -1);
  for (size_t i = 0; i < assigned.size(); ++i) {
    for (uint32_t s : assigned[i]) owner[s] = static_cast<int64_t>(i);
  }
  // One lender per shard: a Ready pod whose claim the assigner saw, else the first.
  std::vector<int64_t> lender(shards, -1);
  for (size_t i = 0; i < pods.size(); ++i) {
    if (pods[i].claimant != Claimant::kReady) continue;
    for (uint32_t s : *pods[i].annotated) {
      if (s >= shards) continue;
      const bool seen = std::find(claims[i].begin(), claims[i].end(), s) != claims[i].end();
      if (lender[s] < 0 || seen) lender[s] = static_cast<int64_t>(i);
    }
  }
  std::map<uint32_t, std::string> loans;
  std::vector<std::vector<uint32_t>> added(pods.size());
  for (size_t i = 0; i < pods.size(); ++i) {
    for (uint32_t s : *pods[i].annotated) {
      if (s >= shards || owner[s] < 0 || owner[s] == static_cast<int64_t>(i)) continue;
      const size_t to = static_cast<size_t>(owner[s]);
      const bool starting = to >= pods.size() || pods[to].claimant == Claimant::kStarting;
      if (starting && lender[s] == static_cast<int64_t>(i)) {
        added[i].push_back(s);
        loans[s] = name(to);
      } else if (auto loan = lent.find(s); loan != lent.end() && loan->second == name(to)) {
        loans[s] = name(to);  // still in the lender's annotation until its patch shows
      }
    }
  }
  for (size_t i = 0; i < pods.size(); ++i) {
    if (added[i].empty()) continue;
    std::sort(added[i].begin(), added[i].end());
    std::vector<uint32_t> merged;
    std::merge(assigned[i].begin(), assigned[i].end(), added[i].begin(), added[i].end(),
               std::back_inserter(merged));
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    assigned[i] = std::move(merged);
  }
  return loans;
}

}  // namespace agentfleet::fleet::planner
