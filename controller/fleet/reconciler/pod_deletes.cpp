#include "controller/fleet/reconciler/pod_deletes.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "controller/fleet/reconciler/act.h"

namespace agentfleet::fleet::reconciler {

std::vector<Status> DeletePods(kube::rest::Client& client,
                               const std::vector<const kube::informer::PodRecord*>& pods,
                               size_t width) {
  std::vector<Status> out(pods.size(), Ok{});
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < pods.size(); i = next++) out[i] = DeletePod(client, *pods[i]);
  };
  const size_t helpers = std::min(width, pods.size());
  if (helpers <= 1) {
    work();
    return out;
  }
  // A pass's deadline, if any, bounds the helpers' requests too.
  const auto deadline = kube::rest::ScopedDeadline::Current();
  std::vector<std::thread> threads;
  threads.reserve(helpers - 1);
  for (size_t t = 1; t < helpers; ++t) {
    threads.emplace_back([&] {
      std::optional<kube::rest::ScopedDeadline> scope;
      if (deadline) scope.emplace(*deadline);
      work();
    });
  }
  work();
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace agentfleet::fleet::reconciler
