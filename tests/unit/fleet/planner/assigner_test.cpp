#include "controller/fleet/planner/assigner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace agentfleet::fleet::planner {
namespace {

using Shards = std::vector<uint32_t>;

Shards Range(uint32_t from, uint32_t to) {
  Shards out;
  for (uint32_t s = from; s < to; ++s) out.push_back(s);
  return out;
}

struct Pods {
  std::vector<Shards> current;
  std::vector<AssignerPod> view;
  void Add(Shards shards, bool assignable = true) {
    current.push_back(std::move(shards));
    view.push_back({nullptr, assignable});
  }
  ShardAssignment Assign(uint32_t shards, const std::vector<int32_t>& holder = {}) {
    for (size_t i = 0; i < view.size(); ++i) view[i].current = &current[i];
    return AssignShards(shards, view, holder);
  }
};

TEST(Assigner, FreshFleetGetsContiguousBalancedRuns) {
  Pods pods;
  for (int i = 0; i < 3; ++i) pods.Add({});
  const ShardAssignment a = pods.Assign(10);
  EXPECT_EQ(a.shards[0], Range(0, 4));
  EXPECT_EQ(a.shards[1], Range(4, 7));
  EXPECT_EQ(a.shards[2], Range(7, 10));
  EXPECT_EQ(a.moves, 10u);
  EXPECT_EQ(a.minimum_moves, 10u);
}

TEST(Assigner, AddingAPodMovesOnlyItsShare) {
  Pods pods;
  pods.Add(Range(0, 4));
  pods.Add(Range(4, 7));
  pods.Add(Range(7, 10));
  pods.Add({});
  const ShardAssignment a = pods.Assign(10);
  // q = 2, r = 2: kept = 2 + 2 + 2 + min(2, 3) = 8.
  EXPECT_EQ(a.minimum_moves, 2u);
  EXPECT_EQ(a.moves, 2u);
  EXPECT_EQ(a.shards[3].size(), 2u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::includes(pods.current[i].begin(), pods.current[i].end(), a.shards[i].begin(),
                              a.shards[i].end()));
  }
}

TEST(Assigner, UnassignablePodsAreDrainedAndOthersKeepTheirShards) {
  Pods pods;
  pods.Add(Range(0, 3));
  pods.Add(Range(3, 6), /*assignable=*/false);  // retiring or not ready
  pods.Add(Range(6, 9));
  const ShardAssignment a = pods.Assign(9);
  EXPECT_TRUE(a.shards[1].empty());
  EXPECT_EQ(a.moves, 3u);
  EXPECT_EQ(a.minimum_moves, 3u);
  EXPECT_EQ(a.shards[0].size() + a.shards[2].size(), 9u);
  EXPECT_TRUE(std::includes(a.shards[0].begin(), a.shards[0].end(), pods.current[0].begin(),
                            pods.current[0].end()));
}

TEST(Assigner, OverfullPodGivesUpShardsItDoesNotHoldFirst) {
  Pods pods;
  pods.Add(Range(0, 4));
  pods.Add({});
  std::vector<int32_t> holder(4, kNoHolder);
  holder[2] = 0;
  holder[3] = 0;
  const ShardAssignment a = pods.Assign(4, holder);
  EXPECT_EQ(a.shards[0], (Shards{2, 3}));
  EXPECT_EQ(a.shards[1], (Shards{0, 1}));
}

TEST(Assigner, ShardClaimedTwiceStaysWithItsLeaseHolder) {
  Pods pods;
  pods.Add({0, 1});
  pods.Add({1, 2});
  std::vector<int32_t> holder = {kNoHolder, 1, kNoHolder, kNoHolder};
  const ShardAssignment a = pods.Assign(4, holder);
  EXPECT_EQ(a.owner[1], 1);
  EXPECT_EQ(a.shards[0].size() + a.shards[1].size(), 4u);
  // Pod 0 keeps 0, pod 1 keeps 1 and 2; only the unclaimed shard 3 moves.
  EXPECT_EQ(a.shards[0], (Shards{0, 3}));
  EXPECT_EQ(a.moves, 1u);
}

TEST(Assigner, OutOfRangeAndRepeatedShardsAreIgnored) {
  Pods pods;
  pods.Add({0, 0, 1, 7, 99});
  const ShardAssignment a = pods.Assign(3);
  EXPECT_EQ(a.shards[0], (Shards{0, 1, 2}));
  EXPECT_EQ(a.moves, 1u);
  EXPECT_EQ(a.minimum_moves, 1u);
}

TEST(Assigner, NoAssignablePodLeavesEveryShardUnassigned) {
  Pods pods;
  pods.Add(Range(0, 5), false);
  const ShardAssignment a = pods.Assign(5);
  EXPECT_TRUE(a.shards[0].empty());
  EXPECT_EQ(std::count(a.owner.begin(), a.owner.end(), -1), 5);
  EXPECT_EQ(a.moves, 0u);
  EXPECT_EQ(a.minimum_moves, 0u);
}

TEST(Assigner, MorePodsThanShards) {
  Pods pods;
  for (int i = 0; i < 5; ++i) pods.Add({});
  const ShardAssignment a = pods.Assign(3);
  size_t with_one = 0;
  for (const auto& s : a.shards) {
    EXPECT_LE(s.size(), 1u);
    with_one += s.size();
  }
  EXPECT_EQ(with_one, 3u);
}

TEST(Assigner, MinimumMovesFormula) {
  // S=10 over 4 pods (q=2, r=2) with counts 4,3,3,0: kept 2+2+2+0 + min(2,3).
  EXPECT_EQ(MinimumMoves(10, std::vector<uint64_t>{4, 3, 3, 0}), 2u);
  // S=10 over 2 pods (q=5, r=0) with counts 4,6: kept 4 + 5.
  EXPECT_EQ(MinimumMoves(10, std::vector<uint64_t>{4, 6}), 1u);
  EXPECT_EQ(MinimumMoves(10, std::vector<uint64_t>{}), 0u);
  EXPECT_EQ(MinimumMoves(7, std::vector<uint64_t>{0, 0, 0}), 7u);
}

// Random disjoint assignments over random pods: balanced, complete, no shard
// twice, and exactly the minimum number of moves.
TEST(AssignerProperty, RandomInputsAreBalancedCompleteAndMinimal) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](uint32_t lo, uint32_t hi) {
      return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
    };
    const uint32_t shards = pick(0, 300);
    const uint32_t n = pick(0, 25);
    Pods pods;
    for (uint32_t i = 0; i < n; ++i) pods.Add({}, pick(0, 3) != 0);
    for (uint32_t s = 0; s < shards; ++s) {
      if (n > 0 && pick(0, 4) != 0) pods.current[pick(0, n - 1)].push_back(s);
    }
    for (auto& c : pods.current) std::shuffle(c.begin(), c.end(), rng);
    std::vector<int32_t> holder;
    if (pick(0, 1) && n > 0) {
      holder.assign(shards, kNoHolder);
      for (auto& h : holder) h = static_cast<int32_t>(pick(0, n + 1)) - 2;
    }
    const ShardAssignment a = pods.Assign(shards, holder);

    std::vector<uint64_t> counts;
    uint64_t lo = UINT64_MAX, hi = 0, moves = 0;
    std::vector<int> seen(shards, 0);
    for (uint32_t i = 0; i < n; ++i) {
      const Shards& got = a.shards[i];
      ASSERT_TRUE(std::is_sorted(got.begin(), got.end()));
      for (uint32_t s : got) ++seen[s];
      if (!pods.view[i].assignable) {
        ASSERT_TRUE(got.empty());
        continue;
      }
      counts.push_back(pods.current[i].size());
      lo = std::min<uint64_t>(lo, got.size());
      hi = std::max<uint64_t>(hi, got.size());
      Shards old = pods.current[i];
      std::sort(old.begin(), old.end());
      for (uint32_t s : got) moves += !std::binary_search(old.begin(), old.end(), s);
    }
    for (uint32_t s = 0; s < shards; ++s) {
      ASSERT_EQ(seen[s], counts.empty() ? 0 : 1) << "shard " << s;
    }
    if (!counts.empty()) {
      ASSERT_LE(hi - lo, 1u);
    }
    ASSERT_EQ(moves, MinimumMoves(shards, counts));
    ASSERT_EQ(a.moves, moves);
    ASSERT_EQ(a.minimum_moves, moves);
  }
}

}  // namespace
}  // namespace agentfleet::fleet::planner
