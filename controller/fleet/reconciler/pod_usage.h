#pragma once

// A fleet's pods' cpu and memory from metrics.k8s.io (metrics-server's
// PodMetrics): one list per fleet, by its pod label, at most once per poll
// interval and never within kUsageInterval; the passes in between use the last
// answer. Read only while the fleet has resource metrics and pods.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/clock.h"
#include "controller/base/result.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::fleet::reconciler {

struct PodSample {
  int64_t cpu_milli = 0;  // summed over containers
  int64_t memory = 0;     // bytes, summed over containers
  Clock::Wall timestamp;
  std::chrono::milliseconds window{0};
};

using PodSamples = std::map<std::string, PodSample>;  // by pod name

// The items of a PodMetricsList by pod. An item that cannot be used (no
// containers, a usage that is not a quantity, no timestamp) is left out, its
// pod then counting as one without a sample; `unusable` gets why, if given.
PodSamples ParsePodMetrics(const std::vector<nlohmann::json>& items,
                           std::vector<std::string>* unusable = nullptr);

// The shortest interval between two lists of a fleet's PodMetrics: the HPA's
// (kube-controller-manager's --horizontal-pod-autoscaler-sync-period), and
// metrics-server's resolution at its recommended setting, so a quicker read
// would mostly find the same samples at a request per fleet each time.
inline constexpr std::chrono::seconds kUsageInterval{15};
// How long one list may take, retries included.
inline constexpr std::chrono::seconds kUsageDeadline{3};

class PodUsage {
 public:
  // Lists again when `interval` has passed since the last attempt.
  void Refresh(kube::rest::Client& client, const std::string& ns, const std::string& selector,
               Clock::Monotonic now, std::chrono::seconds interval);
  // Forget the last answer: the next Refresh lists (the fleet's metrics went away).
  void Reset() { last_.reset(); }
  // The last answer, or why there is none.
  const Result<PodSamples>& samples() const { return samples_; }
  bool read_this_pass() const { return read_this_pass_; }

 private:
  std::optional<Clock::Monotonic> last_;
  Result<PodSamples> samples_ = PodSamples{};
  bool read_this_pass_ = false;
};

}  // namespace agentfleet::fleet::reconciler
