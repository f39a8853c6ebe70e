#pragma once

// How the reconciler reaches a fleet's queue and lease table: behind an
// interface, so that tests can count or inject the real Redis-backed ones.

#include <memory>

#include "controller/base/result.h"
#include "controller/sources/lease/lease_store.h"
#include "controller/sources/lease/store_config.h"
#include "controller/sources/queue/make_queue_source.h"

namespace agentfleet::fleet::reconciler {

class SourceFactory {
 public:
  virtual ~SourceFactory() = default;
  virtual Result<std::unique_ptr<sources::queue::QueueSource>> MakeQueue(
      sources::queue::QueueSourceConfig config) = 0;
  virtual Result<std::unique_ptr<sources::lease::LeaseStore>> OpenLeases(
      const sources::lease::StoreConfig& config) = 0;
};

// The production factory: sources::queue::MakeQueueSource and sources::lease::OpenLeaseStore.
class DefaultSourceFactory final : public SourceFactory {
 public:
  Result<std::unique_ptr<sources::queue::QueueSource>> MakeQueue(
      sources::queue::QueueSourceConfig config) override {
    return sources::queue::MakeQueueSource(std::move(config));
  }
  Result<std::unique_ptr<sources::lease::LeaseStore>> OpenLeases(
      const sources::lease::StoreConfig& config) override {
    return sources::lease::OpenLeaseStore(config);
  }
};

}  // namespace agentfleet::fleet::reconciler
