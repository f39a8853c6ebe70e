#include "controller/fleet/reconciler/secret_cache.h"

#include <functional>
#include <utility>

namespace agentfleet::fleet::reconciler {
namespace {

std::string Key(const std::string& ns, const std::string& name) {
  return ns + "/" + name;
}

}  // namespace

std::optional<nlohmann::json> SecretCache::Fresh(const std::string& ns, const std::string& name,
                                                 Clock::Monotonic now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key(ns, name));
  if (it == entries_.end() || now - it->second.read_at >= refresh_interval_) return std::nullopt;
  return it->second.secret;
}

std::optional<nlohmann::json> SecretCache::Kept(const std::string& ns,
                                                const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key(ns, name));
  if (it == entries_.end()) return std::nullopt;
  return it->second.secret;
}

void SecretCache::Store(const std::string& ns, const std::string& name, nlohmann::json secret,
                        Clock::Monotonic now) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_,
                [&](const auto& e) { return now - e.second.read_at >= 2 * refresh_interval_; });
  entries_[Key(ns, name)] = Entry{std::move(secret), now};
}

void SecretCache::Forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  entries_.erase(Key(ns, name));
}

size_t SecretCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::unique_lock<std::mutex> SecretCache::Reading(const std::string& ns, const std::string& name) {
  const size_t h = std::hash<std::string>{}(ns + "/" + name);
  return std::unique_lock<std::mutex>(reading_[h % kReadLocks]);
}

}  // namespace agentfleet::fleet::reconciler
