#pragma once

// Secrets as the reconciler last read them, shared by all fleets (keyed by
// namespace and name): a converged fleet costs no Secret GET per pass. An
// entry is used for `refresh_interval` after its read; then the next pass
// that needs it reads it again. Only successful reads are kept, so a missing
// Secret is looked for again at the next pass. The operator may only `get`
// Secrets (no list, no watch): this is the least-privilege alternative to a
// watch, and FleetSources asks for a fresh read whenever a source refused
// or failed to open with what the cache holds.

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "controller/base/clock.h"

namespace agentfleet::fleet::reconciler {

class SecretCache {
 public:
  explicit SecretCache(std::chrono::seconds refresh_interval)
      : refresh_interval_(refresh_interval) {}

  // The Secret as read less than the refresh interval ago; nullopt: read it.
  std::optional<nlohmann::json> Fresh(const std::string& ns, const std::string& name,
                                      Clock::Monotonic now) const;
  // The Secret as last read, however long ago: for when a read again fails
  // for a passing reason (timeout, throttling, API server restarting).
  std::optional<nlohmann::json> Kept(const std::string& ns, const std::string& name) const;
  // A successful read. Entries nobody read for two intervals are dropped.
  void Store(const std::string& ns, const std::string& name, nlohmann::json secret,
             Clock::Monotonic now);
  // A failed read (missing, forbidden): the old value is not used again.
  void Forget(const std::string& ns, const std::string& name);
  size_t size() const;
  // Held while a Secret is read, so that fleets of a namespace missing it at
  // once on several workers make one GET: the others wait, then find it
  // Fresh. Keys share kReadLocks locks; a read holds only its own.
  std::unique_lock<std::mutex> Reading(const std::string& ns, const std::string& name);

 private:
  struct Entry {
    nlohmann::json secret;
    Clock::Monotonic read_at;
  };
  static constexpr size_t kReadLocks = 64;
  const std::chrono::seconds refresh_interval_;
  std::array<std::mutex, kReadLocks> reading_;
  mutable std::mutex mu_;  // fleets' passes run on several workers
  std::map<std::string, Entry> entries_;
};

}  // namespace agentfleet::fleet::reconciler
