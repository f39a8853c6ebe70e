#pragma once

// The invariants the multi-agent run checks, as pure code over samples (so
// that they are themselves unit-tested: tests/unit/agent/fleet_checks_test.cpp).
//
// LeaseChecker, fed lease-table snapshots (one consistent instant each):
//   - double holder: two valid records for one shard in one snapshot;
//   - token regression: a shard's token lower than in an earlier snapshot;
//   - token reuse: one token seen with two different holders;
//   and it counts hand-offs: a shard's valid holder differs from the last
//   valid holder seen for it.
//
// ResultChecker, fed result-store samples (fence marks and stored prices read
// in one MULTI/EXEC, so one instant):
//   - mark regression: a shard's high-water mark went down;
//   - stale write accepted: a product whose stored value is new or changed
//     since the previous sample carries a token lower than its shard's mark in
//     that previous sample. The write landed after that sample, when the store
//     had already accepted a higher token for the shard: fencing should have
//     rejected it. (Sound: no false positives, whatever the sampling rate.)
//   - a stored token above its shard's mark in the same sample;
//   - task version regression: a product's stored task version lower than in
//     the previous sample (an older task overwrote a newer one's price);
//   and it counts re-writes (a stored value replaced: a newer task of the
//   product, or a repeated delivery).
// Final check (Verify): every product has exactly one result entry, holding
// the price and the version of its newest task, in the product's shard, with
// a token no higher than that shard's final mark.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/sources/lease/lease_store.h"
#include "examples/agent/results/task_version.h"

namespace agentfleet::agent::testing {

class LeaseChecker {
 public:
  void Observe(const sources::lease::LeaseSnapshot& snapshot);
  const std::vector<std::string>& violations() const { return violations_; }
  int64_t snapshots() const { return snapshots_; }
  int64_t handoffs() const { return handoffs_; }
  // Most valid records seen for one shard in one snapshot (1 when all is well).
  int max_valid_per_shard() const { return max_valid_; }

 private:
  void Violation(std::string v);
  std::map<uint32_t, int64_t> last_token_;
  std::map<std::pair<uint32_t, int64_t>, std::string> token_holder_;
  std::map<uint32_t, std::string> last_valid_holder_;
  std::vector<std::string> violations_;
  int64_t snapshots_ = 0;
  int64_t handoffs_ = 0;
  int max_valid_ = 0;
};

struct StoredResult {
  int64_t token = 0;
  uint32_t shard = 0;
  int64_t price = 0;
  results::TaskVersion version;
  bool operator==(const StoredResult&) const = default;
};

struct ResultSample {
  std::map<uint32_t, int64_t> marks;            // shard → high-water mark
  std::map<std::string, StoredResult> results;  // product → stored value
};

// A product's newest task.
struct ExpectedTask {
  uint32_t shard = 0;
  int64_t price = 0;  // after repricing
  results::TaskVersion version;
};

class ResultChecker {
 public:
  void Observe(ResultSample sample);
  // Final state against every product's newest task (product → expectation).
  void Verify(const std::map<std::string, ExpectedTask>& newest);
  const std::vector<std::string>& violations() const { return violations_; }
  int64_t samples() const { return samples_; }
  int64_t rewrites() const { return rewrites_; }
  int64_t stale_accepted() const { return stale_; }
  int64_t version_regressions() const { return regressions_; }
  size_t results() const { return last_.results.size(); }

 private:
  void Violation(std::string v);
  ResultSample last_;
  bool has_last_ = false;
  std::vector<std::string> violations_;
  int64_t samples_ = 0;
  int64_t rewrites_ = 0;
  int64_t stale_ = 0;
  int64_t regressions_ = 0;
};

}  // namespace agentfleet::agent::testing
