#pragma once

// What this process wrote to a fleet's pods that the pod cache has not shown
// yet. The informer lags the API server; without these a pass reading a stale
// cache would create a pod again, give shards twice or mark a pod twice.
//
// A create is settled when the pod appears in the cache (or is forgotten after
// a timeout: the create was lost and the next pass may create it again). A
// patch is settled when the cached pod's resourceVersion moves past the one the
// patch replaced: from then on the cache shows it, or something newer. A
// delete is settled when the cache shows the pod deleting or gone (or after
// the timeout: the delete was lost).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/base/clock.h"
#include "controller/fleet/planner/views.h"
#include "controller/kube/informer/pod.h"

namespace agentfleet::fleet::reconciler {

class Expectations {
 public:
  using CachedPods = std::map<std::string, std::shared_ptr<const kube::informer::PodRecord>>;

  explicit Expectations(std::chrono::seconds create_timeout = std::chrono::seconds(300))
      : create_timeout_(create_timeout) {}

  // Settles what the cache now shows and drops creates and deletes older than
  // the timeout.
  void Observe(const CachedPods& cached, Clock::Monotonic now);
  // Settles deletes only: `live` are the uids of the cached pods not deleting.
  void SettleDeletes(const std::set<std::string>& live, Clock::Monotonic now);

  // A cached pod's view with this process's unsettled patches applied: the
  // shards last written, the retiring mark (since `now` when the cache shows
  // none).
  void Correct(planner::PodView& view, uint32_t shards, planner::Time now) const;

  // Pods created by this process and not cached yet, by name.
  std::vector<std::string> PendingCreates() const;

  // The assignment last written to `pod` and not yet cached: its shard ranges
  // and generation; nullptr when the cache is current.
  struct Assignment {
    std::string resource_version_before;  // the cached version the patch replaced
    std::string shards;
    int64_t generation = 0;
  };
  const Assignment* Written(const std::string& pod) const;
  bool Marked(const std::string& pod) const { return marked_.count(pod) > 0; }
  bool Creating(const std::string& pod) const { return created_.count(pod) > 0; }
  // When this process created `pod`, while it is pending.
  std::optional<Clock::Monotonic> CreatedAt(const std::string& pod) const;

  void Created(const std::string& pod, Clock::Monotonic now) { created_[pod] = now; }
  void Assigned(const std::string& pod, Assignment written) { written_[pod] = std::move(written); }
  void MarkedRetiring(const std::string& pod, std::string resource_version_before) {
    marked_[pod] = std::move(resource_version_before);
  }
  // The pod was deleted: nothing written to it matters any more.
  void Forget(const std::string& pod);
  // A delete this process sent, by the pod's uid; while it is unsettled no
  // pass sends it again.
  void Deleted(const std::string& uid, Clock::Monotonic now) { deleted_[uid] = now; }
  bool DeletePending(const std::string& uid) const { return deleted_.count(uid) > 0; }

 private:
  std::chrono::seconds create_timeout_;
  std::map<std::string, Clock::Monotonic> created_;
  std::map<std::string, Assignment> written_;
  std::map<std::string, std::string> marked_;        // pod -> cached version the mark replaced
  std::map<std::string, Clock::Monotonic> deleted_;  // pod uid -> when its delete was sent
};

}  // namespace agentfleet::fleet::reconciler
