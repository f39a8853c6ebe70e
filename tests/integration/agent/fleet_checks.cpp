#include "tests/integration/agent/fleet_checks.h"

namespace agentfleet::agent::testing {
namespace {
constexpr size_t kMaxKept = 50;  // violations kept verbatim; all are counted by the caller
}

void LeaseChecker::Violation(std::string v) {
  if (violations_.size() < kMaxKept) violations_.push_back(std::move(v));
}

void LeaseChecker::Observe(const sources::lease::LeaseSnapshot& snap) {
  ++snapshots_;
  std::map<uint32_t, int> valid;
  for (const auto& r : snap.records) {
    const std::string at =
        " (shard " + std::to_string(r.shard) + ", store time " + std::to_string(snap.now_ms) + ")";
    if (r.ValidAt(snap.now_ms)) {
      int n = ++valid[r.shard];
      max_valid_ = std::max(max_valid_, n);
      if (n > 1) Violation("two valid holders" + at);
      auto& last = last_valid_holder_[r.shard];
      if (!last.empty() && last != r.holder) ++handoffs_;
      last = r.holder;
    }
    auto [it, fresh] = last_token_.emplace(r.shard, r.token);
    if (!fresh) {
      if (r.token < it->second) {
        Violation("token went down from " + std::to_string(it->second) + " to " +
                  std::to_string(r.token) + at);
      }
      it->second = std::max(it->second, r.token);
    }
    if (!r.holder.empty()) {
      auto [h, new_token] = token_holder_.emplace(std::make_pair(r.shard, r.token), r.holder);
      if (!new_token && h->second != r.holder) {
        Violation("token " + std::to_string(r.token) + " held by both " + h->second + " and " +
                  r.holder + at);
      }
    }
  }
}

void ResultChecker::Violation(std::string v) {
  if (violations_.size() < kMaxKept) violations_.push_back(std::move(v));
}

void ResultChecker::Observe(ResultSample sample) {
  ++samples_;
  for (const auto& [product, r] : sample.results) {
    auto mark = sample.marks.find(r.shard);
    if (mark == sample.marks.end() || r.token > mark->second) {
      Violation("product " + product + " stored with token " + std::to_string(r.token) +
                " above its shard's mark");
    }
  }
  if (has_last_) {
    for (const auto& [shard, mark] : last_.marks) {
      auto now = sample.marks.find(shard);
      if (now == sample.marks.end() || now->second < mark) {
        Violation("the mark of shard " + std::to_string(shard) + " went down");
      }
    }
    for (const auto& [product, r] : sample.results) {
      auto before = last_.results.find(product);
      if (before != last_.results.end() && before->second == r) continue;
      if (before != last_.results.end()) {
        ++rewrites_;
        if (r.version < before->second.version) {
          ++regressions_;
          Violation("product " + product + ": task " + results::FormatTaskVersion(r.version) +
                    " overwrote the newer task " +
                    results::FormatTaskVersion(before->second.version));
        }
      }
      auto prev_mark = last_.marks.find(r.shard);
      if (prev_mark != last_.marks.end() && r.token < prev_mark->second) {
        ++stale_;
        Violation("stale write accepted: product " + product + " written with token " +
                  std::to_string(r.token) + " after shard " + std::to_string(r.shard) +
                  " had accepted token " + std::to_string(prev_mark->second));
      }
    }
    for (const auto& [product, r] : last_.results) {
      if (sample.results.count(product) == 0) Violation("result of " + product + " vanished");
    }
  }
  last_ = std::move(sample);
  has_last_ = true;
}

void ResultChecker::Verify(const std::map<std::string, ExpectedTask>& newest) {
  for (const auto& [product, want] : newest) {
    auto it = last_.results.find(product);
    if (it == last_.results.end()) {
      Violation("product " + product + " has no result");
      continue;
    }
    const StoredResult& got = it->second;
    if (got.price != want.price || got.shard != want.shard || got.version != want.version) {
      Violation("product " + product + ": stored price " + std::to_string(got.price) + " of task " +
                results::FormatTaskVersion(got.version) + " in shard " + std::to_string(got.shard) +
                ", want " + std::to_string(want.price) + " of its newest task " +
                results::FormatTaskVersion(want.version) + " in shard " +
                std::to_string(want.shard));
    }
    auto mark = last_.marks.find(got.shard);
    if (mark == last_.marks.end() || got.token > mark->second) {
      Violation("product " + product + ": token above the final mark");
    }
  }
  if (last_.results.size() != newest.size()) {
    Violation(std::to_string(last_.results.size()) + " results for " +
              std::to_string(newest.size()) + " products");
  }
}

}  // namespace agentfleet::agent::testing
