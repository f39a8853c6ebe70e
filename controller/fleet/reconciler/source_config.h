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

// The TLS stack reads a CA bundle from a file: this puts a PEM from a Secret
// into one and returns its path. Empty: caSecretRef is reported as unsupported.
using CaFileWriter = std::function<Result<std::string>(const std::string& pem)>;

// Errors name the spec field and never carry a Secret's value.
Result<sources::queue::QueueSourceConfig> QueueConfigFor(const api::FleetSpec& spec,
                                                const SecretLookup& secrets,
                                                const CaFileWriter& ca_files = {});
Result<sources::lease::StoreConfig> LeaseStoreConfigFor(const api::FleetSpec& spec,
                                               const SecretLookup& secrets,
                                               const CaFileWriter& ca_files = {});

// A CaFileWriter keeping files in `dir` (created 0700), named by a hash of
// their content so that equal bundles share a file and a rotated one gets a
// new path.
CaFileWriter DirectoryCaFiles(std::string dir);

}  // namespace agentfleet::fleet::reconciler
