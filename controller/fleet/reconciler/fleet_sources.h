#pragma once

// A fleet's queue source and lease store, kept open across passes while the
// settings and Secret values they were opened with are unchanged: a rotated
// password or an edited URL reopens them; anything else reuses the
// connections.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>

#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/reconciler/source_config.h"
#include "controller/fleet/reconciler/sources.h"

namespace agentfleet::fleet::reconciler {

class FleetSources {
 public:
  // Opens both again when spec.queue, spec.leases, spec.shards or a Secret
  // value they use changed, or when either failed to open last time.
  // `object` is the fleet as stored: its spec is the fingerprint's basis.
  void Refresh(const api::Fleet& fleet, const nlohmann::json& object, ApiSecrets& secrets,
               SourceFactory& factory, const CaFileWriter& ca_files,
               const OperatorIdentity& identity = {});

  // nullptr when it could not be opened; the error says why.
  sources::queue::QueueSource* queue() const { return queue_.get(); }
  sources::lease::LeaseStore* leases() const { return leases_.get(); }
  const Error& queue_error() const { return queue_error_; }
  const Error& lease_error() const { return lease_error_; }

 private:
  size_t fingerprint_ = 0;
  std::unique_ptr<sources::queue::QueueSource> queue_;
  std::unique_ptr<sources::lease::LeaseStore> leases_;
  Error queue_error_, lease_error_;
};

}  // namespace agentfleet::fleet::reconciler
