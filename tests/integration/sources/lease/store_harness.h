#pragma once

// What the store-independent lease conformance suite needs from a store: fresh
// connections to the shared fixture server, and a private server of the same
// kind that a test may restart without disturbing anyone else. The helpers
// below serve the agents' result-store suite too.

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "controller/base/result.h"
#include "controller/sources/lease/lease_store.h"

namespace agentfleet::sources::lease::testing {

// A server started by the project's fixture script into its own directory;
// stopped (and the directory removed) when destroyed.
class PrivateServer {
 public:
  virtual ~PrivateServer() = default;
  virtual std::unique_ptr<LeaseStore> NewLeaseStore() = 0;
  // Stops the server and starts it again on the same port.
  virtual void Restart() = 0;
};

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual std::string Name() const = 0;
  // A new connection each call (throws if the fixture is unreachable).
  virtual std::unique_ptr<LeaseStore> NewLeaseStore() = 0;
  virtual std::unique_ptr<PrivateServer> StartPrivateServer() = 0;
  // Whether the lease table survives a server restart.
  virtual bool Durable() const = 0;
};

using HarnessFactory = std::function<std::unique_ptr<StoreHarness>()>;

// The value, or an exception: a harness has no other way to fail.
template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) throw std::runtime_error(r.error().ToString());
  return std::move(*r);
}

// Runs a fixture script (`script up|down|restart dir`); throws on failure.
void RunFixtureScript(const std::string& script, const std::string& verb, const std::string& dir);
// A fresh directory under the build tree's temp area.
std::string MakeTempDir(const std::string& tag);
// The first line of a file; throws if unreadable.
std::string ReadLine(const std::string& path);
// A name no other test run uses.
std::string UniqueName(const std::string& base);

}  // namespace agentfleet::sources::lease::testing
