#include "controller/fleet/reconciler/fleet_sources.h"

#include <functional>
#include <string>

namespace agentfleet::fleet::reconciler {

void FleetSources::Refresh(const api::Fleet& fleet, const nlohmann::json& object,
                           ApiSecrets& secrets, SourceFactory& factory,
                           const CaFileWriter& ca_files, const OperatorIdentity& identity) {
  auto queue_config = QueueConfigFor(fleet.spec, secrets.AsLookup(), ca_files, identity);
  auto lease_config = LeaseStoreConfigFor(fleet.spec, secrets.AsLookup(), ca_files);
  const nlohmann::json& spec = object.contains("spec") ? object["spec"] : nlohmann::json::object();
  // Secret values enter only as a hash.
  const std::string basis = spec.value("queue", nlohmann::json()).dump() +
                            spec.value("leases", nlohmann::json()).dump() +
                            std::to_string(fleet.spec.shards) + secrets.values_read();
  const size_t fingerprint = std::hash<std::string>{}(basis);
  if (fingerprint == fingerprint_ && queue_ && leases_) return;

  fingerprint_ = fingerprint;
  queue_.reset();
  leases_.reset();
  queue_error_ = lease_error_ = Error{};
  if (!queue_config) {
    queue_error_ = queue_config.error();
  } else if (auto q = factory.MakeQueue(std::move(*queue_config))) {
    queue_ = std::move(*q);
  } else {
    queue_error_ = q.error();
  }
  if (!lease_config) {
    lease_error_ = lease_config.error();
  } else if (auto l = factory.OpenLeases(*lease_config)) {
    leases_ = std::move(*l);
  } else {
    lease_error_ = l.error();
  }
}

}  // namespace agentfleet::fleet::reconciler
