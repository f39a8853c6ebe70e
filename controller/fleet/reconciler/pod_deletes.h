#pragma once

// Deleting many pods at the client's full rate (concurrently.h).

#include <cstddef>
#include <vector>

#include "controller/base/result.h"
#include "controller/fleet/reconciler/concurrently.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::fleet::reconciler {

// DeletePod (act.h) for each pod, up to `width` at once; one Status per pod,
// in the order given.
std::vector<Status> DeletePods(kube::rest::Client& client,
                               const std::vector<const kube::informer::PodRecord*>& pods,
                               size_t width = kWriteWidth);

}  // namespace agentfleet::fleet::reconciler
