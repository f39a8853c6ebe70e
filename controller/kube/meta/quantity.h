#pragma once

// resource.Quantity as the API serves it ("250m", "64Mi", "1.5", "2e3",
// "123456789n"): a decimal number with an optional SI or binary suffix or a
// decimal exponent. The API server has already canonicalized what it stores;
// spec fields and metrics.k8s.io values are parsed the same way.

#include <cstdint>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::kube::meta {

// The quantity times 1000, rounded up (resource.Quantity.MilliValue): cpu in
// millicores. InvalidArgument when it is not a quantity or does not fit.
Result<int64_t> ParseMilliQuantity(std::string_view text);

// The quantity rounded up to a whole unit (resource.Quantity.Value): bytes.
Result<int64_t> ParseQuantity(std::string_view text);

}  // namespace agentfleet::kube::meta
