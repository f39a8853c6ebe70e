#pragma once

// A fleet's queue source and lease store, kept open across passes while the
// settings and Secret values they were opened with are unchanged: a rotated
// password or an edited URL reopens them; anything else reuses the
// connections. A source that fails to open or to answer is tried again only
// when its backoff (source_backoff.h) allows.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>

#include "controller/base/clock.h"
#include "controller/base/result.h"
#include "controller/fleet/api/types.h"
#include "controller/fleet/reconciler/source_backoff.h"
#include "controller/fleet/reconciler/source_config.h"
#include "controller/fleet/reconciler/sources.h"

namespace agentfleet::fleet::reconciler {

class FleetSources {
 public:
  // Opens both again when spec.queue, spec.leases, spec.shards or a Secret
  // value they use changed; one that failed to open, again once its backoff
  // allows. `object` is the fleet as stored: its spec is the fingerprint's
  // basis.
  void Refresh(const api::Fleet& fleet, const nlohmann::json& object, ApiSecrets& secrets,
               SourceFactory& factory, const CaFileWriter& ca_files,
               const OperatorIdentity& identity, Clock::Monotonic now);

  // nullptr when it could not be opened; the error says why.
  sources::queue::QueueSource* queue() const { return queue_.get(); }
  sources::lease::LeaseStore* leases() const { return leases_.get(); }
  const Error& queue_error() const { return queue_error_; }
  const Error& lease_error() const { return lease_error_; }

  // A read of the open source, or, while its backoff lasts, the last read's
  // error again with `attempted` false: nothing was sent.
  template <typename T>
  struct Reading {
    Result<T> value;
    bool attempted = false;
  };
  Reading<sources::queue::QueueDepth> ReadDepth(Clock::Monotonic now);
  Reading<sources::lease::LeaseSnapshot> ReadLeases(std::string_view fleet_id,
                                                    Clock::Monotonic now);
  // Whether this pass (since Refresh) opened or read the source: a fault
  // repeated during its backoff is not another error.
  bool queue_tried() const { return queue_tried_; }
  bool leases_tried() const { return leases_tried_; }
  // Whether the next attempt should read the Secrets afresh rather than from
  // the cache: a source failed to open, or refused the credentials, and is
  // due to be tried again.
  bool SecretsInDoubt(Clock::Monotonic now) const;

 private:
  size_t fingerprint_ = 0;
  std::unique_ptr<sources::queue::QueueSource> queue_;
  std::unique_ptr<sources::lease::LeaseStore> leases_;
  Error queue_error_, lease_error_;            // why it could not be opened
  Error queue_read_error_, lease_read_error_;  // the last failed read
  SourceBackoff queue_backoff_, lease_backoff_;
  bool queue_tried_ = false, leases_tried_ = false;
  struct Doubt {
    bool open_failed = false;  // the last attempt to open it failed
    bool refused = false;      // the last read was refused (unauthorized, forbidden)
  };
  Doubt queue_doubt_, lease_doubt_;
};

}  // namespace agentfleet::fleet::reconciler
