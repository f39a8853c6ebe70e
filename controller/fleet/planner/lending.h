#pragma once

// Shards lent while a new pod starts. A pod is created with its shards (one
// write, and work from its first second for shards no one works), but a
// shard it takes from a Ready pod stays with that pod until the new one is
// Ready: the old agent keeps pricing it, the new agent's acquire is refused
// while the lease is held, and the old owner is told to let go only then.
// Taking it away at the create would leave it unworked for the new pod's
// whole start (scheduling, image pull, agent start): seconds to minutes.
//
// Until the lender's annotation drops it, the shard is in two pods'
// annotations; the lease decides who works it. The assigner must see it as
// the borrower's — while the borrower starts and once it is Ready — or it
// would give the borrower other shards. The planner remembers the loans
// (PlannerState::lent); after an operator restart an overlap between two
// Ready pods is settled by the lease holder instead, at the cost of a move.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace agentfleet::fleet::planner {

enum class Claimant : uint8_t {
  kNone,      // takes no shards (retiring, held back, not Ready past the start bound)
  kReady,     // Ready: may lend
  kStarting,  // created (or being created) and not Ready yet: may borrow
};

struct LendingPod {
  const std::string* name = nullptr;
  const std::vector<uint32_t>* annotated = nullptr;  // its shards annotation
  Claimant claimant = Claimant::kNone;
};

// Per pod, the shards as the assigner should see them: a shard claimed by
// the pod it was lent to (`lent`: shard -> borrower), or else by a kStarting
// pod (the first), is removed from every other pod's claims.
std::vector<std::vector<uint32_t>> ClaimsForAssigner(uint32_t shards,
                                                     std::span<const LendingPod> pods,
                                                     const std::map<uint32_t, std::string>& lent);

// Lends: adds to a kReady pod's `assigned` (the assigner's result, ascending;
// pods past `pods` are being created and kStarting) each shard its annotation
// has that the assigner gave a kStarting pod — one lender per shard, the pod
// whose claim the assigner saw (`claims`) if any, else the first. Returns the
// loans to remember: those made now, and earlier ones still in two annotations.
std::map<uint32_t, std::string> Lend(uint32_t shards, std::span<const LendingPod> pods,
                                     std::span<const std::string* const> created,
                                     const std::map<uint32_t, std::string>& lent,
                                     std::span<const std::vector<uint32_t>> claims,
                                     std::vector<std::vector<uint32_t>>& assigned);

}  // namespace agentfleet::fleet::planner
