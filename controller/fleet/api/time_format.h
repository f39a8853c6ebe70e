#pragma once

// The metav1.Time helpers under the names the reconciler spells them
// (api::FormatTime, ...). They live in controller/kube/meta/time.h; this header
// goes once the reconciler names them kube:: there.

#include "controller/kube/meta/time.h"

namespace agentfleet::fleet::api {

using kube::FormatTime;
using kube::ParseTime;
using kube::TruncateToSeconds;

}  // namespace agentfleet::fleet::api
