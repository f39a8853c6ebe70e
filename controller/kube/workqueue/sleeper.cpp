#include "controller/kube/workqueue/sleeper.h"

#include <condition_variable>
#include <mutex>

namespace agentfleet::kube::workqueue {

bool SleepFor(std::chrono::nanoseconds d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // Nothing but the stop token wakes this wait early.
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

Sleeper StoppableSleeper(std::stop_token stop) {
  return [stop](std::chrono::nanoseconds d) { SleepFor(d, stop); };
}

}  // namespace agentfleet::kube::workqueue
