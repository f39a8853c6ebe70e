#pragma once

// How the reconciler opens a fleet's queue source and lease store: behind an
// interface, so that the unit tier puts a fake queue and an in-memory lease
// store there (tests/support/fake_sources.h) while production and the
// integration tests open the real ones.

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
