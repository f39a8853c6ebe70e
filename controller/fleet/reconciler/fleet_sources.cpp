#include "controller/fleet/reconciler/fleet_sources.h"

#include <functional>
#include <string>

namespace agentfleet::fleet::reconciler {
namespace {

// Opens `slot` when it is closed and its backoff allows; `error` says why not.
template <typename Source, typename Config, typename Open>
void Reopen(std::unique_ptr<Source>& slot, Error& error, SourceBackoff& backoff, bool& tried,
            bool& failed, Result<Config> config, Open open, Clock::Monotonic now) {
  if (slot || !backoff.Due(now)) return;
  tried = true;
  error = Error{};
  if (!config) {
    error = config.error();
  } else if (auto opened = open(std::move(*config))) {
    slot = std::move(*opened);
  } else {
    error = opened.error();
  }
  failed = !slot;
  if (slot) {
    backoff.Succeeded();
  } else {
    backoff.Failed(now);
  }
}

bool Refusal(const Error& e) {
  return e.code == ErrorCode::kUnauthorized || e.code == ErrorCode::kForbidden;
}

// A read unless the backoff holds it back; then the last read's error again.
template <typename T, typename Read>
FleetSources::Reading<T> ReadUnlessBackingOff(SourceBackoff& backoff, Error& last, bool& tried,
                                              bool& refused, Read read, Clock::Monotonic now) {
  if (!backoff.Due(now)) return {last, false};
  tried = true;
  Result<T> value = read();
  refused = !value && Refusal(value.error());
  if (value) {
    backoff.Succeeded();
  } else {
    last = value.error();
    backoff.Failed(now);
  }
  return {std::move(value), true};
}

}  // namespace

void FleetSources::Refresh(const api::Fleet& fleet, const nlohmann::json& object,
                           ApiSecrets& secrets, SourceFactory& factory,
                           const CaFileWriter& ca_files, const OperatorIdentity& identity,
                           Clock::Monotonic now) {
  auto queue_config = QueueConfigFor(fleet.spec, secrets.AsLookup(), ca_files, identity);
  auto lease_config = LeaseStoreConfigFor(fleet.spec, secrets.AsLookup(), ca_files);
  const nlohmann::json& spec = object.contains("spec") ? object["spec"] : nlohmann::json::object();
  // Secret values enter only as a hash.
  const std::string basis = spec.value("queue", nlohmann::json()).dump() +
                            spec.value("leases", nlohmann::json()).dump() +
                            std::to_string(fleet.spec.shards) + secrets.values_read();
  const size_t fingerprint = std::hash<std::string>{}(basis);
  queue_tried_ = leases_tried_ = false;
  if (fingerprint != fingerprint_) {
    // New settings: whatever failed before may work now.
    fingerprint_ = fingerprint;
    queue_.reset();
    leases_.reset();
    queue_backoff_ = SourceBackoff();
    lease_backoff_ = SourceBackoff();
  }
  Reopen(
      queue_, queue_error_, queue_backoff_, queue_tried_, queue_doubt_.open_failed,
      std::move(queue_config), [&](auto c) { return factory.MakeQueue(std::move(c)); }, now);
  Reopen(
      leases_, lease_error_, lease_backoff_, leases_tried_, lease_doubt_.open_failed,
      std::move(lease_config), [&](const auto& c) { return factory.OpenLeases(c); }, now);
}

bool FleetSources::SecretsInDoubt(Clock::Monotonic now) const {
  auto doubt = [&](bool open, const Doubt& d, const SourceBackoff& backoff) {
    return backoff.Due(now) && (open ? d.refused : d.open_failed);
  };
  return doubt(queue_ != nullptr, queue_doubt_, queue_backoff_) ||
         doubt(leases_ != nullptr, lease_doubt_, lease_backoff_);
}

FleetSources::Reading<sources::queue::QueueDepth> FleetSources::ReadDepth(Clock::Monotonic now) {
  return ReadUnlessBackingOff<sources::queue::QueueDepth>(
      queue_backoff_, queue_read_error_, queue_tried_, queue_doubt_.refused,
      [&] { return queue_->ReadDepth(); }, now);
}

FleetSources::Reading<sources::lease::LeaseSnapshot> FleetSources::ReadLeases(
    std::string_view fleet_id, Clock::Monotonic now) {
  return ReadUnlessBackingOff<sources::lease::LeaseSnapshot>(
      lease_backoff_, lease_read_error_, leases_tried_, lease_doubt_.refused,
      [&] { return leases_->Snapshot(fleet_id); }, now);
}

}  // namespace agentfleet::fleet::reconciler
