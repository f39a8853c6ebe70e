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
  virtual Result<std::unique_ptr<queue::QueueSource>> MakeQueue(
      queue::QueueSourceConfig config) = 0;
  virtual Result<std::unique_ptr<lease::LeaseStore>> OpenLeases(
      const lease::StoreConfig& config) = 0;
};

// The production factory: queue::MakeQueueSource and lease::OpenLeaseStore.
class DefaultSourceFactory final : public SourceFactory {
 public:
  Result<std::unique_ptr<queue::QueueSource>> MakeQueue(queue::QueueSourceConfig config) override {
    return queue::MakeQueueSource(std::move(config));
  }
  Result<std::unique_ptr<lease::LeaseStore>> OpenLeases(const lease::StoreConfig& config) override {
    return lease::OpenLeaseStore(config);
  }
};

}  // namespace agentfleet::fleet::reconciler
