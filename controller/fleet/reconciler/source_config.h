#pragma once

// A fleet's spec.queue and spec.leases as the sources' own configurations.
// Secret values come through a lookup callback, so that this is pure: the
// reconciler reads the Secrets through the API, tests pass a map.

#include <functional>
#include <string>

#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/sources/lease/store_config.h"
#include "controller/sources/queue/make_queue_source.h"

namespace agentfleet::fleet::reconciler {

// The value of one key of a Secret in the fleet's namespace. kNotFound (with a
// message naming the Secret and key, never the value) when either is missing.
using SecretLookup =
    std::function<Result<std::string>(const std::string& secret, const std::string& key)>;

// Errors name the spec field and never carry a Secret's value.
Result<queue::QueueSourceConfig> QueueConfigFor(const api::FleetSpec& spec,
                                                const SecretLookup& secrets);
Result<lease::StoreConfig> LeaseStoreConfigFor(const api::FleetSpec& spec,
                                               const SecretLookup& secrets);

}  // namespace agentfleet::fleet::reconciler
