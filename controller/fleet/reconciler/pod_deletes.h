#pragma once

// Deleting many pods at the client's full rate. One request at a time, a
// 1,000-pod fleet's deletion runs at 1 / (round-trip time), whatever the QPS
// the client may spend; kDeleteWidth requests in flight let the client's
// token bucket, not the round trip, set the pace.

#include <cstddef>
#include <vector>

#include "controller/base/result.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::fleet::reconciler {

inline constexpr size_t kDeleteWidth = 16;

// DeletePod (act.h) for each pod, up to `width` at once; one Status per pod,
// in the order given.
std::vector<Status> DeletePods(kube::rest::Client& client,
                               const std::vector<const kube::informer::PodRecord*>& pods,
                               size_t width = kDeleteWidth);

}  // namespace agentfleet::fleet::reconciler
