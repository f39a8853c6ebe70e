#pragma once

// Where the assignment comes from: the downward-API file, polled; or the
// agent's own Pod, watched through the API. Both publish into an
// AssignmentBox that the lease loop reads.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "controller/kube/informer/informer.h"
#include "controller/kube/informer/pod.h"
#include "controller/obs/log.h"
#include "examples/agent/agent_metrics.h"
#include "examples/agent/assignment.h"

namespace agentfleet::agent {

// The newest well-formed assignment read from any source. Thread-safe.
class AssignmentBox {
 public:
  // Kept only if newer than the one held (a higher generation, or none
  // present yet): the file, the Pod and the lease store may each lag behind
  // the others, and a lagging one must not hide what another said.
  void Put(Assignment a);
  std::optional<Assignment> Latest() const;

 private:
  mutable std::mutex mu_;
  std::optional<Assignment> latest_;
};

// Re-reads the file every poll interval and parses it when its content
// changed. A missing or malformed file keeps the previous assignment.
class AssignmentFileWatcher {
 public:
  AssignmentFileWatcher(std::string path, uint32_t shard_count, std::chrono::milliseconds interval,
                        AssignmentBox& box, AgentMetrics& metrics, obs::Logger log);
  ~AssignmentFileWatcher();
  // Reads once now (so the agent starts with its assignment), then polls.
  void Start();
  void Stop();

 private:
  void ReadOnce();

  std::string path_;
  uint32_t shard_count_;
  std::chrono::milliseconds interval_;
  AssignmentBox& box_;
  AgentMetrics& metrics_;
  obs::Logger log_;
  std::optional<std::string> last_content_;
  bool reported_missing_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Watches the Pod `name` in `ns` (field selector metadata.name=<name>). Once
// the Pod is being deleted (or gone) the assignment is empty for good.
class PodAssignmentWatcher {
 public:
  PodAssignmentWatcher(std::unique_ptr<kube::rest::Client> client, std::string ns, std::string name,
                       uint32_t shard_count, AssignmentBox& box, AgentMetrics& metrics,
                       obs::Logger log);
  ~PodAssignmentWatcher();
  void Start();
  void Stop();

 private:
  void OnPod(const kube::informer::PodRecord& pod);
  void Terminating();

  std::unique_ptr<kube::rest::Client> client_;
  uint32_t shard_count_;
  AssignmentBox& box_;
  AgentMetrics& metrics_;
  obs::Logger log_;
  std::unique_ptr<kube::informer::Informer<kube::informer::PodRecord>> informer_;
};

}  // namespace agentfleet::agent
