#include "controller/fleet/planner/assigner.h"

#include <algorithm>
#include <numeric>

namespace agentfleet::fleet::planner {

uint64_t MinimumMoves(uint32_t shards, std::span<const uint64_t> current_counts) {
  const uint64_t m = current_counts.size();
  if (m == 0) return 0;
  const uint64_t q = shards / m;
  const uint64_t r = shards % m;
  uint64_t kept = 0;
  uint64_t above = 0;
  for (uint64_t c : current_counts) {
    kept += std::min(c, q);
    if (c > q) ++above;
  }
  kept += std::min(r, above);
  return shards - kept;
}

ShardAssignment AssignShards(uint32_t shards, std::span<const AssignerPod> pods,
                             std::span<const int32_t> holder) {
  const int32_t n = static_cast<int32_t>(pods.size());
  const bool leases = holder.size() == shards;
  ShardAssignment out;
  out.owner.assign(shards, -1);
  out.shards.resize(n);
  std::vector<int32_t>& owner = out.owner;

  // Who keeps what today: each in-range shard goes to its first claimant among
  // the assignable pods, or to the claimant that holds its lease.
  for (int32_t i = 0; i < n; ++i) {
    if (!pods[i].assignable) continue;
    for (uint32_t s : *pods[i].current) {
      if (s >= shards) continue;
      int32_t& o = owner[s];
      if (o == -1 || (o != i && leases && holder[s] == i)) o = i;
    }
  }
  std::vector<uint64_t> count(n, 0);
  for (uint32_t s = 0; s < shards; ++s) {
    if (owner[s] >= 0) ++count[owner[s]];
  }

  std::vector<int32_t> order;
  for (int32_t i = 0; i < n; ++i) {
    if (pods[i].assignable) order.push_back(i);
  }
  const uint64_t m = order.size();
  if (m == 0) return out;
  {
    std::vector<uint64_t> counts;
    counts.reserve(m);
    for (int32_t i : order) counts.push_back(count[i]);
    out.minimum_moves = MinimumMoves(shards, counts);
  }
  const uint64_t q = shards / m;
  const uint64_t r = shards % m;
  std::vector<uint64_t> target(n, 0);
  // The q + 1 targets go to the pods with the most shards today: each of them
  // with c_i > q keeps one more shard than a q target would let it.
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return count[a] > count[b]; });
  for (uint64_t k = 0; k < m; ++k) target[order[k]] = q + (k < r ? 1 : 0);

  // Over-full pods give up the shards they do not hold first, then the highest.
  std::vector<uint32_t> mine;
  for (int32_t i : order) {
    if (count[i] <= target[i]) continue;
    mine.clear();
    for (uint32_t s : *pods[i].current) {
      if (s < shards && owner[s] == i) mine.push_back(s);
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    if (leases) {
      std::stable_partition(mine.begin(), mine.end(), [&](uint32_t s) { return holder[s] == i; });
    }
    for (size_t k = target[i]; k < mine.size(); ++k) owner[mine[k]] = -1;
    count[i] = target[i];
  }

  // Free shards, ascending, fill the pods short of their target in pod order,
  // so a new pod receives runs of consecutive shards (a compact annotation).
  int32_t next = 0;
  for (uint32_t s = 0; s < shards; ++s) {
    if (owner[s] != -1) continue;
    while (!pods[next].assignable || count[next] >= target[next]) ++next;
    owner[s] = next;
    ++count[next];
    ++out.moves;
  }
  for (int32_t i = 0; i < n; ++i) out.shards[i].reserve(count[i]);
  for (uint32_t s = 0; s < shards; ++s) out.shards[owner[s]].push_back(s);
  return out;
}

}  // namespace agentfleet::fleet::planner
