#include "controller/fleet/reconciler/pod_deletes.h"

#include "controller/fleet/reconciler/act.h"

namespace agentfleet::fleet::reconciler {

std::vector<Status> DeletePods(kube::rest::Client& client,
                               const std::vector<const kube::informer::PodRecord*>& pods,
                               size_t width) {
  std::vector<Status> out(pods.size(), Ok{});
  Concurrently(pods.size(), width, [&](size_t i) { out[i] = DeletePod(client, *pods[i]); });
  return out;
}

}  // namespace agentfleet::fleet::reconciler
