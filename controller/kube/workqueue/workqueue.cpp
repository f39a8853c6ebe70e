#include "controller/kube/workqueue/workqueue.h"

#include <algorithm>

namespace agentfleet::kube::workqueue {
namespace {

double Seconds(Clock::Monotonic::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A blocked Get re-checks at least this often, so that a deadline far in the
// future (or a FakeClock) never turns into an unbounded real-time wait.
constexpr auto kMaxWait = std::chrono::seconds(10);

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options)
    : clock_(options.clock ? *options.clock : RealClock::Instance()),
      limiter_(options.rate_limiter ? std::move(options.rate_limiter)
                                    : DefaultControllerRateLimiter(clock_)) {
  if (options.metrics != nullptr) {
    metrics_ = std::make_unique<QueueMetrics>(*options.metrics, options.name);
    collect_hook_ = options.metrics->AddCollectHook([this] { Collect(); });
  }
}

WorkQueue::~WorkQueue() {
  collect_hook_.Reset();
  ShutDown();
}

void WorkQueue::AddLocked(const std::string& key, Clock::Monotonic now) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (metrics_) {
    metrics_->adds.Inc();
    metrics_->depth.Inc();
    added_at_.try_emplace(key, now);
  }
  if (processing_.contains(key)) return;  // Done will put it back
  queue_.push_back(key);
  ready_cv_.notify_one();
}

void WorkQueue::PromoteLocked(Clock::Monotonic now) {
  while (!waiting_.empty() && waiting_.top().ready_at <= now) {
    Waiting w = waiting_.top();
    waiting_.pop();
    auto it = waiting_deadline_.find(w.key);
    if (it == waiting_deadline_.end() || it->second != w.ready_at) continue;  // superseded
    waiting_deadline_.erase(it);
    AddLocked(w.key, now);
  }
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  PromoteLocked(now);
  AddLocked(key, now);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  auto now = clock_.Now();
  PromoteLocked(now);
  if (delay <= std::chrono::nanoseconds::zero()) {
    AddLocked(key, now);
    return;
  }
  auto ready_at = now + std::chrono::duration_cast<Clock::Monotonic::duration>(delay);
  auto [it, inserted] = waiting_deadline_.try_emplace(key, ready_at);
  if (!inserted) {
    if (ready_at >= it->second) return;  // the earlier deadline wins
    it->second = ready_at;
  }
  waiting_.push({ready_at, next_seq_++, key});
  // A Get may be sleeping until a later deadline.
  ready_cv_.notify_all();
}

// Only these are retries (as client-go counts them): a delayed add is often
// a batch or a poll, not a failure.
void WorkQueue::AddRateLimited(const std::string& key) {
  if (metrics_) metrics_->retries.Inc();
  AddAfter(key, limiter_->When(key));
}

void WorkQueue::AddRateLimited(const std::string& key, std::chrono::nanoseconds at_most) {
  if (metrics_) metrics_->retries.Inc();
  AddAfter(key, std::min(limiter_->When(key), at_most));
}

void WorkQueue::Forget(const std::string& key) {
  limiter_->Forget(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  return limiter_->NumRequeues(key);
}

std::string WorkQueue::PopLocked(Clock::Monotonic now) {
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(key);
  dirty_.erase(key);
  if (metrics_) {
    metrics_->depth.Dec();
    if (auto it = added_at_.find(key); it != added_at_.end()) {
      metrics_->queue_duration.Observe(Seconds(now - it->second));
      added_at_.erase(it);
    }
    started_at_[key] = now;
  }
  return key;
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto now = clock_.Now();
    PromoteLocked(now);
    if (!queue_.empty()) return PopLocked(now);
    if (shutting_down_) return std::nullopt;
    if (waiting_.empty()) {
      ready_cv_.wait_for(lock, kMaxWait);
    } else {
      auto until = waiting_.top().ready_at - now;
      ready_cv_.wait_for(lock, std::min<Clock::Monotonic::duration>(until, kMaxWait));
    }
  }
}

std::optional<std::string> WorkQueue::TryGet() {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  PromoteLocked(now);
  if (queue_.empty()) return std::nullopt;
  return PopLocked(now);
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  if (processing_.erase(key) == 0) return;  // not handed out: ignore
  if (metrics_) {
    if (auto it = started_at_.find(key); it != started_at_.end()) {
      metrics_->work_duration.Observe(Seconds(now - it->second));
      started_at_.erase(it);
    }
  }
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    ready_cv_.notify_one();
  }
  if (processing_.empty()) drained_cv_.notify_all();
}

void WorkQueue::ShutDownLocked() {
  shutting_down_ = true;
  waiting_ = {};
  waiting_deadline_.clear();
  ready_cv_.notify_all();
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  ShutDownLocked();
}

void WorkQueue::ShutDownWithDrain() {
  std::unique_lock lock(mu_);
  ShutDownLocked();
  drained_cv_.wait(lock, [this] { return processing_.empty(); });
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

void WorkQueue::Tick() {
  std::lock_guard lock(mu_);
  PromoteLocked(clock_.Now());
  ready_cv_.notify_all();
}

std::size_t WorkQueue::Len() {
  std::lock_guard lock(mu_);
  PromoteLocked(clock_.Now());
  return queue_.size();
}

std::size_t WorkQueue::NumWaiting() {
  std::lock_guard lock(mu_);
  PromoteLocked(clock_.Now());
  return waiting_deadline_.size();
}

std::size_t WorkQueue::NumProcessing() const {
  std::lock_guard lock(mu_);
  return processing_.size();
}

void WorkQueue::Collect() {
  std::lock_guard lock(mu_);
  auto now = clock_.Now();
  PromoteLocked(now);
  double total = 0, longest = 0;
  for (const auto& [key, start] : started_at_) {
    double s = Seconds(now - start);
    total += s;
    longest = std::max(longest, s);
  }
  metrics_->unfinished_work.Set(total);
  metrics_->longest_running.Set(longest);
}

}  // namespace agentfleet::kube::workqueue
