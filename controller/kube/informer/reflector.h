#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "controller/kube/rest/client.h"
#include "controller/kube/workqueue/backoff.h"

namespace agentfleet::kube::informer {

// What a reflector feeds: a full replacement after each list, then watch events.
class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  virtual void BeginReplace() = 0;
  virtual void ReplaceItem(
      const rest::Json& object) = 0;  // one page at a time, never the whole list
  virtual void EndReplace() = 0;
  // A list failed part-way: forget the pages seen, delete nothing.
  virtual void AbortReplace() = 0;
  virtual void Apply(const std::string& type,
                     const rest::Json& object) = 0;  // ADDED/MODIFIED/DELETED
};

struct ReflectorOptions {
  std::string namespace_name;  // empty: all namespaces
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;
  int min_watch_timeout_seconds = 300;  // the server ends each watch after a random
  int max_watch_timeout_seconds = 600;  // time in this range, as client-go does
  // 800 ms doubling to 30 s, reset after 2 min healthy; up to 20 % jitter so
  // that many clients do not reconnect in step after an API server restart.
  workqueue::BackoffPolicy backoff{std::chrono::milliseconds(800), 2.0, std::chrono::seconds(30),
                                   0.2, std::chrono::minutes(2)};
  // A list or watch the server refused or could not answer ("list" or
  // "watch", the error); retried with backoff all the same. Optional.
  std::function<void(std::string_view what, const Error& error)> on_error;
};

struct ReflectorStats {
  std::atomic<int64_t> lists{0};
  std::atomic<int64_t> relists{0};  // lists after the first: 410 Gone or an ERROR event
  std::atomic<int64_t> watches{0};
  std::atomic<int64_t> watch_errors{0};
  std::atomic<int64_t> events{0};
};

// client-go's reflector: list (resourceVersion "0" first, paginated), then watch
// from the list's version with bookmarks; a dropped watch resumes from the last
// version seen with backoff (800 ms doubling to 30 s, reset after 2 min
// healthy); 410 Gone or an ERROR event relists.
class Reflector {
 public:
  Reflector(rest::Client& client, rest::Resource resource, ReflectorOptions options,
            ReflectorSink& sink);
  ~Reflector();

  void Start();
  void Stop();
  bool HasSynced() const { return synced_.load(); }
  bool WaitForSync(std::chrono::milliseconds timeout);
  const std::string& what() const { return what_; }
  const ReflectorStats& stats() const { return stats_; }
  std::string LastResourceVersion() const;

 private:
  void Run();
  Status List(const std::string& resource_version);
  // Watches until the stream ends. Returns false when a relist is needed.
  bool WatchOnce();
  void Sleep(std::chrono::milliseconds d);

  rest::Client& client_;
  rest::Resource resource_;
  ReflectorOptions options_;
  ReflectorSink& sink_;
  std::string what_;
  ReflectorStats stats_;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<rest::WatchStream>* current_watch_ = nullptr;  // guarded by mu_
  std::string last_rv_;                                          // guarded by mu_
  workqueue::Backoff backoff_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace agentfleet::kube::informer
