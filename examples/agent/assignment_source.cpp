#include "examples/agent/assignment_source.h"

#include <fstream>
#include <limits>
#include <sstream>

#include "controller/kube/rest/resource.h"

namespace agentfleet::agent {

void AssignmentBox::Put(Assignment a) {
  std::lock_guard lock(mu_);
  if (latest_ && latest_->present && (!a.present || a.generation <= latest_->generation)) return;
  latest_ = std::move(a);
}

std::optional<Assignment> AssignmentBox::Latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

AssignmentFileWatcher::AssignmentFileWatcher(std::string path, uint32_t shard_count,
                                             std::chrono::milliseconds interval, AssignmentBox& box,
                                             AgentMetrics& metrics, obs::Logger log)
    : path_(std::move(path)),
      shard_count_(shard_count),
      interval_(interval),
      box_(box),
      metrics_(metrics),
      log_(std::move(log)) {}

AssignmentFileWatcher::~AssignmentFileWatcher() {
  Stop();
}

void AssignmentFileWatcher::Start() {
  ReadOnce();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, interval_, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      ReadOnce();
      lock.lock();
    }
  });
}

void AssignmentFileWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AssignmentFileWatcher::ReadOnce() {
  // The kubelet swaps the volume's ..data symlink atomically, so one read sees
  // one version; reading the content (not only the mtime) also catches a
  // rewrite within the same second.
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (!reported_missing_) {
      log_.Warn("assignment file cannot be read; keeping the current assignment",
                {{"path", path_}});
      reported_missing_ = true;
    }
    return;
  }
  reported_missing_ = false;
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string content = buf.str();
  if (last_content_ && *last_content_ == content) return;
  last_content_ = content;
  auto parsed = ParseAssignmentFile(content, shard_count_);
  if (!parsed.ok()) {
    metrics_.assignment_errors.Inc();
    log_.Error("malformed assignment; keeping the current one",
               {{"path", path_}, {"error", parsed.error()}});
    return;
  }
  box_.Put(std::move(*parsed));
}

PodAssignmentWatcher::PodAssignmentWatcher(std::unique_ptr<kube::rest::Client> client,
                                           std::string ns, std::string name, uint32_t shard_count,
                                           AssignmentBox& box, AgentMetrics& metrics,
                                           obs::Logger log)
    : client_(std::move(client)),
      shard_count_(shard_count),
      box_(box),
      metrics_(metrics),
      log_(std::move(log)) {
  kube::informer::ReflectorOptions options;
  options.namespace_name = std::move(ns);
  options.field_selector = "metadata.name=" + name;
  informer_ = std::make_unique<kube::informer::Informer<kube::informer::PodRecord>>(
      *client_, kube::rest::resources::kPods, kube::informer::ToPodRecord, std::move(options));
  informer_->AddHandlers({
      .on_add = [this](const auto& pod) { OnPod(*pod); },
      .on_update = [this](const auto&, const auto& pod) { OnPod(*pod); },
      .on_delete = [this](const auto&) { Terminating(); },
  });
}

PodAssignmentWatcher::~PodAssignmentWatcher() {
  Stop();
}

void PodAssignmentWatcher::Start() {
  informer_->Start();
}

void PodAssignmentWatcher::Stop() {
  if (informer_) informer_->Stop();
}

void PodAssignmentWatcher::Terminating() {
  log_.Info("own Pod is terminating: releasing every shard");
  // Newer than any generation the operator can write: nothing is taken again.
  box_.Put({.present = true, .generation = std::numeric_limits<int64_t>::max(), .shards = {}});
}

void PodAssignmentWatcher::OnPod(const kube::informer::PodRecord& pod) {
  // A Pod being deleted holds nothing: its shards' new owners should not
  // wait for the kubelet's SIGTERM (or the lease to expire).
  if (pod.meta.deleting) {
    Terminating();
    return;
  }
  auto parsed = AssignmentFromAnnotations(
      [&pod](std::string_view key) { return pod.meta.Annotation(key); }, shard_count_);
  if (!parsed.ok()) {
    metrics_.assignment_errors.Inc();
    log_.Error("malformed assignment; keeping the current one", {{"error", parsed.error()}});
    return;
  }
  box_.Put(std::move(*parsed));
}

}  // namespace agentfleet::agent
