#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "controller/app/options.h"
#include "controller/base/result.h"

namespace agentfleet::app {

// Owns the operator's runtime, as controller-runtime's Manager does: the API
// client (throttled, instrumented), the metrics and probe endpoints, leader
// election, the informers and the controllers. Run blocks until Stop (or a
// SIGTERM/SIGINT routed to Stop) and shuts everything down in order.
class Manager {
 public:
  static Result<std::unique_ptr<Manager>> Create(const Options& options);
  virtual ~Manager() = default;

  // Returns the process exit code: 0 after a clean stop, 1 when leadership was
  // lost (the process must restart to campaign again with cold caches).
  virtual int Run() = 0;
  virtual void Stop() = 0;
};

}  // namespace agentfleet::app
