#include "examples/agent/shared_queue_worker.h"

#include <algorithm>

#include "examples/agent/task_latency.h"

namespace agentfleet::agent {
namespace {

SteadyTime Now() {
  return std::chrono::steady_clock::now();
}

}  // namespace

SharedQueueWorker::SharedQueueWorker(SharedWorkerConfig config,
                                     std::unique_ptr<queues::TaskQueue> queue,
                                     std::unique_ptr<results::ResultStore> results,
                                     ShardTable& table, AgentMetrics& metrics, obs::Logger log)
    : config_(std::move(config)),
      queue_(std::move(queue)),
      results_(std::move(results)),
      table_(table),
      metrics_(metrics),
      log_(std::move(log)) {}

SharedQueueWorker::~SharedQueueWorker() {
  StopAndJoin();
}

void SharedQueueWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SharedQueueWorker::StopAndJoin() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void SharedQueueWorker::Run() {
  while (!stop_) RunOnce();
}

void SharedQueueWorker::KeepAliveIfDue() {
  if (Now() - last_keep_alive_ < queue_->KeepAlivePeriod()) return;
  last_keep_alive_ = Now();
  std::vector<queues::Delivery> unsettled;
  for (size_t i = 0; i < batch_.size(); ++i) {
    if (!settled_[i]) unsettled.push_back(batch_[i]);
  }
  if (auto s = queue_->KeepAlive(unsettled); !s.ok()) {
    metrics_.queue_errors.Inc();
    log_.Warn("keeping the tasks in work failed", {{"error", s.error()}});
  }
}

void SharedQueueWorker::Work(std::chrono::milliseconds d) {
  const auto end = Now() + d;
  const auto slice = std::max(std::chrono::milliseconds(10), queue_->KeepAlivePeriod() / 2);
  while (Now() < end) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(slice, end - Now()));
    KeepAliveIfDue();
  }
}

std::vector<queues::Delivery> SharedQueueWorker::Take(const std::vector<size_t>& indexes) {
  std::vector<queues::Delivery> out;
  out.reserve(indexes.size());
  for (size_t i : indexes) {
    settled_[i] = true;
    out.push_back(batch_[i]);
  }
  return out;
}

void SharedQueueWorker::RunOnce() {
  batch_.clear();
  settled_.clear();
  KeepAliveIfDue();
  // Nothing to price here: leave the tasks to the agents that can.
  if (table_.Active(Now()).empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return;
  }
  auto received = queue_->Receive(config_.batch_size, config_.wait);
  if (!received.ok()) {
    metrics_.queue_errors.Inc();
    log_.Warn("receiving tasks failed",
              {{"queue", queue_->Describe()}, {"error", received.error()}});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return;
  }
  if (received->empty()) return;
  batch_ = std::move(*received);
  metrics_.tasks_received.Inc(static_cast<double>(batch_.size()));
  settled_.assign(batch_.size(), false);
  // The shards held now, not before the (blocking) receive.
  const MessagePlan plan = PlanMessages(batch_, table_.Active(Now()), config_.shard_count);

  for (const auto& [index, why] : plan.invalid) {
    const auto d = Take({index});
    log_.Warn("invalid task moved to the dead-letter destination",
              {{"queue", queue_->Describe()}, {"reason", why}});
    if (auto s = queue_->DeadLetter(d.front(), why); !s.ok()) {
      metrics_.queue_errors.Inc();
      log_.Warn("dead-lettering a task failed; it will be delivered again", {{"error", s.error()}});
    }
  }
  metrics_.tasks_invalid.Inc(static_cast<double>(plan.invalid.size()));
  GiveBack(plan.elsewhere, metrics_.tasks_returned_elsewhere);
  for (const auto& w : plan.work) Price(w);
  // Only other agents' tasks (or a shard nobody holds yet, mid hand-off):
  // receiving again at once would pass the same messages around in a tight
  // loop. Pause one wait, leaving them to the agents that hold their shards.
  if (plan.work.empty() && !plan.elsewhere.empty()) Work(config_.wait);
}

void SharedQueueWorker::GiveBack(const std::vector<size_t>& indexes, obs::Counter& reason) {
  if (indexes.empty()) return;
  const auto d = Take(indexes);
  reason.Inc(static_cast<double>(d.size()));
  if (auto s = queue_->Return(d); !s.ok()) {
    // Still in work with this consumer: the queue delivers them again once
    // their visibility, heartbeat or connection lapses.
    metrics_.queue_errors.Inc();
    log_.Warn("returning tasks to the queue failed", {{"error", s.error()}});
  }
}

void SharedQueueWorker::Price(const ShardWork& w) {
  const uint32_t shard = w.shard.shard;
  const int64_t token = w.shard.token;
  if (!table_.BeginBatch(shard, token, Now())) {  // dropped since the plan
    GiveBack(w.deliveries, metrics_.tasks_returned_elsewhere);
    return;
  }
  struct EndGuard {
    ShardTable& t;
    ActiveShard s;
    ~EndGuard() { t.EndBatch(s.shard, s.token); }
  } guard{table_, w.shard};

  if (config_.task_time.count() > 0) {
    Work(config_.task_time * static_cast<int64_t>(w.deliveries.size()));
  }
  if (!table_.StillValid(shard, token, Now())) {
    GiveBack(w.deliveries, metrics_.tasks_returned_elsewhere);
    return;
  }
  auto written = results_->Write(config_.fleet, shard, token, w.prices);
  if (!written.ok()) {
    if (written.error().code == ErrorCode::kFailedPrecondition) {
      metrics_.fenced_rejections.Inc();
      if (table_.MarkLost(shard, token)) metrics_.leases_lost.Inc();
      log_.Warn("result write fenced off: lease lost, shard dropped",
                {{"shard", shard}, {"token", token}, {"error", written.error()}});
      GiveBack(w.deliveries, metrics_.tasks_returned_fenced);
    } else {
      metrics_.result_write_errors.Inc();
      log_.Warn("result write failed; the tasks go back to the queue",
                {{"shard", shard}, {"error", written.error()}});
      GiveBack(w.deliveries, metrics_.tasks_returned_write_error);
    }
    return;
  }
  metrics_.ProductsPriced(shard, w.prices.size() - written->superseded);
  if (written->superseded > 0) {
    metrics_.results_superseded.Inc(static_cast<double>(written->superseded));
  }
  if (auto s = queue_->Done(Take(w.deliveries)); !s.ok()) {
    // Written but not settled: delivered again (at least once); the store
    // keeps the same price, or a newer task's.
    metrics_.queue_errors.Inc();
    log_.Warn("settling priced tasks failed", {{"shard", shard}, {"error", s.error()}});
  }
  metrics_.tasks_processed.Inc(static_cast<double>(w.deliveries.size()));
  const auto now = std::chrono::system_clock::now();
  for (const auto& e : w.enqueued) {
    if (e) metrics_.task_latency.Observe(TaskLatencySeconds(*e, now));
  }
}

}  // namespace agentfleet::agent
