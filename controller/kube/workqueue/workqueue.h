#pragma once

// The controller workqueue with client-go's semantics (a rate-limiting,
// delaying, de-duplicating queue of string keys, "namespace/name"):
//
// - Dedup: a key added several times before a worker takes it is handed out
//   once.
// - Exclusive processing: a key handed out by Get is not handed out again until
//   Done(key). If it was added meanwhile, Done puts it back, so the change is
//   not lost and no two workers ever hold the same key.
// - AddAfter: the key is added once `delay` has passed on the injected clock;
//   for a key already waiting, the earlier deadline wins.
// - AddRateLimited / Forget / NumRequeues: retries delayed by a RateLimiter
//   (default: client-go's DefaultControllerRateLimiter).
// - ShutDown: Add is ignored from then on, delayed keys are dropped, blocked
//   Gets return nullopt once the ready keys are taken. ShutDownWithDrain also
//   waits until every key handed out has been marked Done.
//
// Time comes from the injected Clock. Delayed keys are promoted lazily by every
// operation (no background thread), so with a FakeClock a test advances the
// clock and calls Tick() to wake blocked Gets; with the real clock a blocked
// Get wakes by itself at the next deadline.
//
//   WorkQueue queue({.name = "pricingagentfleet", .metrics = &registry});
//   while (auto key = queue.Get()) {
//     if (Reconcile(*key).ok()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "controller/base/clock.h"
#include "controller/kube/workqueue/queue_metrics.h"
#include "controller/kube/workqueue/rate_limiter.h"
#include "controller/obs/metrics.h"

namespace agentfleet::kube::workqueue {

struct WorkQueueOptions {
  // The `name` label of the workqueue_* metrics; conventionally the controller name.
  std::string name{};
  const Clock* clock = nullptr;                 // empty: the real clock
  std::unique_ptr<RateLimiter> rate_limiter{};  // empty: DefaultControllerRateLimiter
  obs::Registry* metrics = nullptr;             // empty: no metrics
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options = {});
  ~WorkQueue();  // ShutDown(); callers must have stopped using the queue
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::nanoseconds delay);
  void AddRateLimited(const std::string& key);
  // As AddRateLimited (the failure counted), but held back `at_most` at most.
  void AddRateLimited(const std::string& key, std::chrono::nanoseconds at_most);
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready, then hands it out; nullopt once shut down and
  // no ready key is left. Every key handed out must be passed to Done.
  std::optional<std::string> Get();
  // Like Get, but returns nullopt at once when no key is ready.
  std::optional<std::string> TryGet();
  void Done(const std::string& key);

  void ShutDown();
  void ShutDownWithDrain();
  bool ShuttingDown() const;

  // Promotes delayed keys whose time has come and wakes blocked Gets. Only
  // needed after moving a FakeClock.
  void Tick();

  // Not const: like every operation, they first promote delayed keys that are due.
  std::size_t Len();                  // keys ready to be handed out
  std::size_t NumWaiting();           // keys delayed by AddAfter
  std::size_t NumProcessing() const;  // keys handed out and not yet Done

 private:
  struct Waiting {
    Clock::Monotonic ready_at;
    std::uint64_t seq;  // FIFO among equal deadlines
    std::string key;
    bool operator>(const Waiting& o) const {
      return ready_at != o.ready_at ? ready_at > o.ready_at : seq > o.seq;
    }
  };

  void AddLocked(const std::string& key, Clock::Monotonic now);
  void PromoteLocked(Clock::Monotonic now);
  std::string PopLocked(Clock::Monotonic now);
  void ShutDownLocked();
  void Collect();

  const Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<QueueMetrics> metrics_;

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;
  std::condition_variable drained_cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> waiting_;
  std::unordered_map<std::string, Clock::Monotonic> waiting_deadline_;  // the live entry per key
  std::uint64_t next_seq_ = 0;
  bool shutting_down_ = false;
  // For the metrics: when each dirty key was added, when each key in flight started.
  std::unordered_map<std::string, Clock::Monotonic> added_at_;
  std::unordered_map<std::string, Clock::Monotonic> started_at_;

  obs::CollectHook collect_hook_;  // last: unregistered first
};

}  // namespace agentfleet::kube::workqueue
