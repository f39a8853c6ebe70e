#pragma once

// How many calls of one verb the fake client serves at once: each is held
// for `hold` (real time), so that calls sent concurrently overlap.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/fake_client.h"

namespace agentfleet::testing {

class InFlightProbe {
 public:
  // A fault rule that fails nothing and counts `verb` calls on `resource`.
  FaultRule Rule(Verb verb, std::string resource, std::chrono::milliseconds hold) {
    return [state = state_, verb, resource, hold](const Call& c) -> std::optional<Error> {
      if (c.verb != verb || c.resource != resource) return std::nullopt;
      const int now = ++state->in_flight;
      for (int seen = state->most; now > seen && !state->most.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(hold);
      --state->in_flight;
      return std::nullopt;
    };
  }
  // The most calls in flight at once so far.
  int most() const { return state_->most.load(); }

 private:
  struct State {
    std::atomic<int> in_flight{0}, most{0};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace agentfleet::testing
