#include "examples/agent/task_worker.h"

#include <set>

#include "examples/agent/batch_plan.h"
#include "examples/agent/task_latency.h"

namespace agentfleet::agent {
namespace {

SteadyTime Now() {
  return std::chrono::steady_clock::now();
}

}  // namespace

TaskWorker::TaskWorker(WorkerConfig config, std::unique_ptr<sources::redis::Client> queue,
                       std::unique_ptr<results::ResultStore> results, ShardTable& table,
                       AgentMetrics& metrics, obs::Logger log)
    : config_(std::move(config)),
      queue_(std::move(queue)),
      results_(std::move(results)),
      table_(table),
      metrics_(metrics),
      log_(std::move(log)) {}

TaskWorker::~TaskWorker() {
  StopAndJoin();
}

void TaskWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void TaskWorker::StopAndJoin() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string TaskWorker::Key(uint32_t shard) const {
  return config_.prefix + ":" + std::to_string(shard);
}

void TaskWorker::Run() {
  while (!stop_) RunOnce();
}

void TaskWorker::RunOnce() {
  std::vector<ActiveShard> active = table_.Active(Now());
  // Forget shards no longer held, so that a re-acquired one is prepared again.
  for (auto it = prepared_.begin(); it != prepared_.end();) {
    bool held = false;
    for (const auto& a : active) held = held || (a.shard == it->first && a.token == it->second);
    if (!held) {
      next_claim_.erase(it->first);
      it = prepared_.erase(it);
    } else {
      ++it;
    }
  }
  if (active.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return;
  }
  for (const auto& a : active) {
    if (stop_) return;
    auto p = prepared_.find(a.shard);
    if (p == prepared_.end() || p->second != a.token) Prepare(a);
    auto due = next_claim_.find(a.shard);
    if (due != next_claim_.end() && due->second <= Now()) Claim(a);
  }
  if (stop_) return;

  sources::redis::Client::Args cmd{"XREADGROUP",  "GROUP",
                                   config_.group, config_.consumer,
                                   "COUNT",       std::to_string(config_.batch_size),
                                   "BLOCK",       std::to_string(config_.block.count()),
                                   "STREAMS"};
  std::vector<ActiveShard> reading;
  for (const auto& a : active) {
    if (prepared_.count(a.shard) == 0) continue;  // its group could not be created yet
    cmd.push_back(Key(a.shard));
    reading.push_back(a);
  }
  if (reading.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return;
  }
  for (size_t i = 0; i < reading.size(); ++i) cmd.push_back(">");
  auto reply = queue_->Command(cmd);
  if (!reply.ok()) {
    metrics_.queue_errors.Inc();
    log_.Warn("reading tasks failed", {{"error", reply.error()}});
    // A NOGROUP (stream deleted under us) heals by preparing the shards again.
    prepared_.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return;
  }
  auto streams = ParseReadGroupReply(*reply);
  if (!streams.ok()) {
    metrics_.queue_errors.Inc();
    log_.Error("reading tasks failed", {{"error", streams.error()}});
    return;
  }
  for (auto& s : *streams) {
    for (const auto& a : reading) {
      if (Key(a.shard) == s.key) {
        Process(a, s.key, std::move(s.entries));
        break;
      }
    }
  }
}

void TaskWorker::Prepare(const ActiveShard& s) {
  auto r = queue_->Command({"XGROUP", "CREATE", Key(s.shard), config_.group, "0", "MKSTREAM"});
  if (!r.ok() && r.error().message.find("BUSYGROUP") == std::string::npos) {
    metrics_.queue_errors.Inc();
    log_.Warn("creating the consumer group failed", {{"shard", s.shard}, {"error", r.error()}});
    return;
  }
  prepared_[s.shard] = s.token;
  next_claim_[s.shard] = Now();  // a new owner looks for abandoned tasks at once
}

void TaskWorker::Claim(const ActiveShard& s) {
  const std::string key = Key(s.shard);
  std::string cursor = "0-0";
  // A bounded number of pages per visit, so that other shards are not starved.
  for (int page = 0; page < 8 && !stop_; ++page) {
    auto reply = queue_->Command({"XAUTOCLAIM", key, config_.group, config_.consumer,
                                  std::to_string(config_.claim_min_idle.count()), cursor, "COUNT",
                                  std::to_string(config_.batch_size)});
    if (!reply.ok()) {
      metrics_.queue_errors.Inc();
      log_.Warn("claiming pending tasks failed", {{"shard", s.shard}, {"error", reply.error()}});
      break;
    }
    auto claimed = ParseAutoClaimReply(*reply);
    if (!claimed.ok()) {
      metrics_.queue_errors.Inc();
      log_.Error("claiming pending tasks failed", {{"shard", s.shard}, {"error", claimed.error()}});
      break;
    }
    if (!claimed->entries.empty()) {
      metrics_.tasks_claimed.Inc(static_cast<double>(claimed->entries.size()));
      log_.Info("claimed pending tasks", {{"shard", s.shard}, {"count", claimed->entries.size()}});
      Process(s, key, std::move(claimed->entries));
    }
    cursor = claimed->next_cursor;
    if (cursor == "0-0") break;
  }
  // Pending tasks become claimable only after min-idle: look again later.
  auto period = std::max(config_.claim_min_idle / 2, std::chrono::milliseconds(500));
  next_claim_[s.shard] = Now() + period;
}

void TaskWorker::Process(const ActiveShard& s, const std::string& key,
                         std::vector<StreamEntry> entries) {
  if (entries.empty()) return;
  if (!table_.BeginBatch(s.shard, s.token, Now())) return;  // dropped since: leave them pending
  struct EndGuard {
    ShardTable& t;
    ActiveShard s;
    ~EndGuard() { t.EndBatch(s.shard, s.token); }
  } guard{table_, s};

  const BatchPlan plan = PlanBatch(entries, s.shard, config_.shard_count);
  if (!plan.prices.empty()) {
    if (config_.task_time.count() > 0) {
      std::this_thread::sleep_for(config_.task_time * static_cast<int64_t>(entries.size()));
    }
    if (!table_.StillValid(s.shard, s.token, Now())) return;
    auto written = results_->Write(config_.fleet, s.shard, s.token, plan.prices);
    if (!written.ok()) {
      if (written.error().code == ErrorCode::kFailedPrecondition) {
        metrics_.fenced_rejections.Inc();
        if (table_.MarkLost(s.shard, s.token)) metrics_.leases_lost.Inc();
        log_.Warn("result write fenced off: lease lost, shard dropped",
                  {{"shard", s.shard}, {"token", s.token}, {"error", written.error()}});
      } else {
        metrics_.result_write_errors.Inc();
        log_.Warn("result write failed; the tasks stay pending",
                  {{"shard", s.shard}, {"error", written.error()}});
      }
      return;
    }
    metrics_.ProductsPriced(s.shard, plan.prices.size() - written->superseded);
    // Older than the stored price's task (a late claim after a hand-off):
    // done all the same, so acknowledged with the rest.
    if (written->superseded > 0) {
      metrics_.results_superseded.Inc(static_cast<double>(written->superseded));
      log_.Debug("older tasks skipped: the store holds newer prices of their products",
                 {{"shard", s.shard}, {"count", written->superseded}});
    }
  }

  std::vector<sources::redis::Client::Args> pipeline;
  for (const auto& [index, why] : plan.invalid) {
    const StreamEntry& e = entries[index];
    log_.Warn("invalid task moved to the dead-letter stream",
              {{"shard", s.shard}, {"id", e.id}, {"reason", why}});
    sources::redis::Client::Args dead{
        "XADD", config_.prefix + ":dead", "*", "stream", key, "id", e.id, "reason", why};
    for (const auto& [f, v] : e.fields) {
      dead.push_back("task." + f);
      dead.push_back(v);
    }
    pipeline.push_back(std::move(dead));
  }
  sources::redis::Client::Args ack{"XACK", key, config_.group};
  for (const auto& e : entries) ack.push_back(e.id);
  pipeline.push_back(std::move(ack));
  auto replies = queue_->Pipeline(pipeline);
  bool acked = replies.ok() && !replies->back().IsError();
  if (!acked) {
    // Written but not acknowledged: the tasks will be processed again (at
    // least once); the deterministic rule writes the same prices.
    metrics_.queue_errors.Inc();
    log_.Warn("acknowledging tasks failed", {{"shard", s.shard}});
  }
  metrics_.tasks_invalid.Inc(static_cast<double>(plan.invalid.size()));
  metrics_.tasks_processed.Inc(static_cast<double>(entries.size() - plan.invalid.size()));
  std::set<size_t> invalid;
  for (const auto& e : plan.invalid) invalid.insert(e.entry);
  const auto now = std::chrono::system_clock::now();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (invalid.count(i) > 0) continue;
    if (auto seconds = TaskLatencySeconds(entries[i].id, now)) {
      metrics_.task_latency.Observe(*seconds);
    }
  }
}

}  // namespace agentfleet::agent
