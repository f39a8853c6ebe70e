// pricing-agent: wiring only. The parts live in the files next to this one.

#include <signal.h>

#include <atomic>
#include <iostream>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/app/version.h"
#include "controller/base/stop_signals.h"
#include "controller/kube/config/rest_config.h"
#include "controller/obs/http_server.h"
#include "controller/obs/log.h"
#include "controller/obs/probes.h"
#include "controller/obs/process_metrics.h"
#include "controller/sources/lease/store_config.h"
#include "examples/agent/agent_options.h"
#include "examples/agent/api_client.h"
#include "examples/agent/assignment_source.h"
#include "examples/agent/lease_loop.h"
#include "examples/agent/open_task_queue.h"
#include "examples/agent/results/open_result_store.h"
#include "examples/agent/shared_queue_worker.h"
#include "examples/agent/task_worker.h"

namespace {

using namespace agentfleet;  // NOLINT: a main file

// Unique per process incarnation: a restarted agent must not pass for its
// predecessor (docs/protocol.md §3, acquire by the same holder).
std::string HolderId(const std::string& pod) {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t v = dist(rd) ^ (static_cast<uint64_t>(rd()) << 32);
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return pod + "/" + buf;
}

int Run(const agent::AgentOptions& o) {
  obs::Logger log({.level = *obs::ParseLevel(o.log_level)});
  log.AddSecret(o.lease_store_password);
  log.AddSecret(o.result_store_password);
  log.AddSecret(o.queue_password);

  constexpr std::chrono::seconds kStoreTimeout{3};
  auto lease_cfg = sources::lease::ParseStoreUrl(o.lease_store_url, o.lease_store_password,
                                                 kStoreTimeout, o.lease_store_sslmode);
  if (!lease_cfg.ok()) {
    log.Error("invalid --lease-store", {{"error", lease_cfg.error()}});
    return 2;
  }
  auto result_cfg =
      o.result_store_url.empty()
          ? sources::lease::ParseStoreUrl(o.lease_store_url, o.lease_store_password, kStoreTimeout,
                                          o.lease_store_sslmode)
          : sources::lease::ParseStoreUrl(o.result_store_url, o.result_store_password);
  if (!result_cfg.ok()) {
    log.Error("invalid --result-store", {{"error", result_cfg.error()}});
    return 2;
  }
  // One prefix for both stores: the operator reads the lease table under it.
  lease_cfg->key_prefix = o.lease_key_prefix;
  result_cfg->key_prefix = o.lease_key_prefix;
  for (const auto* c : {&*lease_cfg, &*result_cfg}) {
    log.AddSecret(c->redis.password);
    log.AddSecret(c->postgres.password);
  }

  const std::string holder = HolderId(o.pod_name);
  log = log.WithValues({{"fleet", o.fleet}, {"holder", holder}});

  auto leases = sources::lease::OpenLeaseStore(*lease_cfg);
  if (!leases.ok()) {
    log.Error("cannot open the lease store", {{"error", leases.error()}});
    return 1;
  }
  auto results = agent::results::OpenResultStore(*result_cfg);
  if (!results.ok()) {
    log.Error("cannot open the result store", {{"error", results.error()}});
    return 1;
  }
  auto fences = agent::results::OpenResultStore(*result_cfg);
  if (!fences.ok()) {
    log.Error("cannot open the result store for the lease loop's fences",
              {{"error", fences.error()}});
    return 1;
  }
  // Redis streams: one stream per shard (TaskWorker); any other backend is a
  // queue all agents share (SharedQueueWorker).
  std::unique_ptr<sources::redis::Client> streams;
  std::unique_ptr<agent::queues::TaskQueue> shared;
  if (o.queue_backend == "redis-streams") {
    auto queue_opts = sources::redis::ParseUrl(o.queue_url);
    if (!queue_opts.ok()) {
      log.Error("invalid --queue-url", {{"error", queue_opts.error()}});
      return 2;
    }
    if (!o.queue_password.empty()) queue_opts->password = o.queue_password;
    log.AddSecret(queue_opts->password);
    // The blocking read must end before the client's deadline.
    queue_opts->command_timeout = o.block + std::chrono::seconds(2);
    auto queue = sources::redis::Client::Connect(*queue_opts);
    if (!queue.ok()) {
      log.Error("cannot reach the task queue", {{"error", queue.error()}});
      return 1;
    }
    streams = std::move(*queue);
  } else {
    auto queue = agent::OpenTaskQueue(o, holder, log);
    if (!queue.ok()) {
      log.Error("cannot reach the task queue", {{"error", queue.error()}});
      return queue.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    shared = std::move(*queue);
  }

  obs::Registry registry;
  agent::AgentMetrics metrics(registry);
  obs::ProcessMetrics process(registry, "pricing_agent_build_info",
                              std::string(agentfleet::app::Version()));
  agent::ShardTable table;
  agent::AssignmentBox box;

  std::unique_ptr<agent::AssignmentFileWatcher> file_watcher;
  std::unique_ptr<agent::PodAssignmentWatcher> pod_watcher;
  if (!o.assignment_file.empty()) {
    file_watcher = std::make_unique<agent::AssignmentFileWatcher>(
        o.assignment_file, o.shards, o.poll_interval, box, metrics, log);
  } else {
    auto client = agent::ConnectToApi(o.kubeconfig, "pricing-agent", log);
    if (!client.ok()) {
      log.Error("--assignment-from-api needs the API", {{"error", client.error()}});
      return 1;
    }
    pod_watcher = std::make_unique<agent::PodAssignmentWatcher>(
        std::move(*client), o.namespace_name, o.pod_name, o.shards, box, metrics, log);
  }

  agent::LeaseLoop loop({.fleet = o.fleet,
                         .holder = holder,
                         .lease_duration = o.lease_duration,
                         .tick = o.tick,
                         .pod = o.assignment_from_store ? o.pod_name : std::string(),
                         .shard_count = o.shards},
                        std::move(*leases), std::move(*fences), table, box, metrics, log);

  obs::HealthChecks checks;
  const auto stall_limit = std::max(std::chrono::milliseconds(10'000), 2 * o.lease_duration);
  checks.AddHealthCheck("lease-loop", [&loop, stall_limit]() -> agentfleet::Status {
    if (std::chrono::steady_clock::now() - loop.last_step() > stall_limit) {
      return MakeError(ErrorCode::kUnavailable, "the lease loop has stalled");
    }
    return Ok{};
  });
  std::unique_ptr<obs::HttpServer> http;
  if (o.metrics_bind_address != "0") {
    auto server = obs::HttpServer::Start(
        {.bind_address = o.metrics_bind_address},
        obs::MergeRoutes(obs::MetricsRoutes(registry), obs::ProbeRoutes(checks)));
    if (!server.ok()) {
      log.Error("cannot serve /metrics and /healthz", {{"error", server.error()}});
      return 1;
    }
    http = std::move(*server);
    log.Info("serving /metrics and /healthz", {{"port", http->port()}});
  }

  std::unique_ptr<agent::TaskWorker> stream_worker;
  std::unique_ptr<agent::SharedQueueWorker> shared_worker;
  if (streams) {
    stream_worker = std::make_unique<agent::TaskWorker>(
        agent::WorkerConfig{.fleet = o.fleet,
                            .shard_count = o.shards,
                            .consumer = holder,
                            .prefix = o.queue_prefix,
                            .group = o.queue_group,
                            .batch_size = o.batch_size,
                            .block = o.block,
                            .claim_min_idle = o.claim_min_idle,
                            .task_time = o.task_time},
        std::move(streams), std::move(*results), table, metrics, log);
  } else {
    shared_worker = std::make_unique<agent::SharedQueueWorker>(
        agent::SharedWorkerConfig{.fleet = o.fleet,
                                  .shard_count = o.shards,
                                  .batch_size = o.batch_size,
                                  .wait = o.block,
                                  .task_time = o.task_time},
        std::move(shared), std::move(*results), table, metrics, log);
  }

  if (file_watcher) file_watcher->Start();
  if (pod_watcher) pod_watcher->Start();
  log.Info("pricing-agent started", {{"pod", o.pod_name}, {"shards", o.shards}});
  loop.Step(std::chrono::steady_clock::now());
  if (stream_worker) stream_worker->Start();
  if (shared_worker) shared_worker->Start();
  while (!StopRequested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    loop.Step(std::chrono::steady_clock::now());
  }

  log.Info("stopping: finishing in-flight tasks, then releasing leases");
  if (stream_worker) stream_worker->StopAndJoin();
  if (shared_worker) shared_worker->StopAndJoin();
  if (file_watcher) file_watcher->Stop();
  if (pod_watcher) pod_watcher->Stop();
  loop.ReleaseAll();
  if (http) http->Stop();
  log.Info("pricing-agent stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed =
      agentfleet::agent::ParseAgentOptions(args, agentfleet::kube::config::ProcessEnvironment());
  if (auto code = agentfleet::ExitCodeForFlags(
          parsed,
          {.name = "pricing-agent", .invoked_as = argv[0], .version = agentfleet::app::Version()},
          agentfleet::agent::AgentUsage(argv[0]), std::cout, std::cerr)) {
    return *code;
  }
  InstallStopSignals();
  return Run(parsed.options);
}
