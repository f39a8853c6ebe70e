#pragma once

// Many API writes at once. One request at a time, a pass's 1,000 creates or
// deletes run at 1 / (round-trip time) whatever the QPS the client may
// spend; with up to kWriteWidth in flight the client's token bucket, not the
// round trip, sets the pace (as the ReplicaSet controller's goroutines do).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

#include "controller/kube/rest/client.h"

namespace agentfleet::fleet::reconciler {

inline constexpr size_t kWriteWidth = 64;

// Calls fn(i) for every i < n, up to `width` at once, and returns when all
// are done. The calling thread's request deadline, if any, bounds them all.
// fn must be safe to call from several threads.
template <typename Fn>
void Concurrently(size_t n, size_t width, Fn fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const size_t helpers = std::min(width, n);
  if (helpers <= 1) {
    work();
    return;
  }
  const auto deadline = kube::rest::ScopedDeadline::Current();
  std::vector<std::thread> threads;
  threads.reserve(helpers - 1);
  for (size_t t = 1; t < helpers; ++t) {
    threads.emplace_back([&] {
      std::optional<kube::rest::ScopedDeadline> scope;
      if (deadline) scope.emplace(*deadline);
      work();
    });
  }
  work();
  for (auto& t : threads) t.join();
}

}  // namespace agentfleet::fleet::reconciler
