#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/kube/config/rest_config.h"
#include "controller/kube/rest/list_sax.h"
#include "controller/kube/rest/resource.h"
#include "controller/kube/rest/watch_event.h"

namespace agentfleet::kube::rest {

using Json = nlohmann::json;

struct ClientOptions {
  std::chrono::milliseconds request_timeout{30'000};
  // Attempts after the first, for throttled (429) answers and, on idempotent
  // verbs only, for 5xx answers, timeouts and broken connections.
  int max_retries = 5;
  std::chrono::milliseconds retry_initial_backoff{200};
  std::chrono::milliseconds retry_max_backoff{10'000};
  std::string user_agent = "agentfleet-controller";
  // The most the client reads of one reply, one watch event or one item of a
  // streamed list (ListEach); past it the call fails with kResourceExhausted
  // and the connection is closed. The API server's own limits keep any one
  // object far smaller (etcd refuses requests over 1.5 MiB by default).
  size_t max_reply_bytes = size_t{64} << 20;
  // Blocks until the client-side rate limiter admits one more request.
  std::function<void()> throttle;
  // Called once per HTTP answer (code 0 when no answer came): metrics hook.
  std::function<void(std::string_view method, int code, double seconds)> on_response;
  // Asked before every attempt of a write (POST, PUT, PATCH, DELETE), retries
  // included, both before the throttle and right before sending: an error
  // refuses the attempt, so nothing is sent and the call returns that error;
  // a time is when the attempt is abandoned (its connection closed) if no
  // answer has come. Leader election puts its LeadershipGate here, so that a
  // process that may no longer be the leader writes nothing.
  std::function<Result<std::chrono::steady_clock::time_point>()> write_gate;
};

// Bounds every call the constructing thread makes through a Client while it
// lives (Get, List, Create, Update, Patch, Delete; not ListEach or Watch):
// request timeouts, retries and Retry-After waits all end by `deadline`, after
// which the call fails with kTimeout. Nested scopes keep the earlier deadline.
// The throttle's wait is not bounded: a bounded caller gets a client without one.
// A thread-scoped bound, as a context deadline is in Go, so that a caller
// with a deadline (the leader elector) need not thread it through every call.
class ScopedDeadline {
 public:
  explicit ScopedDeadline(std::chrono::steady_clock::time_point deadline);
  ~ScopedDeadline();
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

  // The innermost deadline of the calling thread, if any.
  static std::optional<std::chrono::steady_clock::time_point> Current();

 private:
  std::optional<std::chrono::steady_clock::time_point> previous_;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: no paging
  std::string continue_token;
  std::string resource_version;        // "0": any version, served from the watch cache
  std::string resource_version_match;  // "NotOlderThan" or "Exact"
};

struct ListPage {
  std::vector<Json> items;
  std::string resource_version;
  std::string continue_token;
};

enum class PatchType { kJsonMerge, kJsonPatch, kStrategicMerge, kApply };

struct WriteOptions {
  std::string field_manager;
  bool dry_run = false;
  std::string subresource;  // "status", "scale", ...
};

struct PatchOptions {
  std::string field_manager;  // required for server-side apply
  bool force = false;         // server-side apply: take ownership of conflicting fields
  bool dry_run = false;
  std::string subresource;
};

struct DeleteOptions {
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::string propagation_policy;  // "Foreground", "Background", "Orphan" or "" (server default)
  std::optional<int64_t> grace_period_seconds;
  bool dry_run = false;
};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  int timeout_seconds = 300;
  bool allow_bookmarks = true;
};

// One open watch: a stream of events, read by one thread, cancellable from any.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event, nullopt once the server ended the stream, or an error when
  // the connection broke.
  virtual Result<std::optional<WatchEvent>> Next() = 0;
  virtual void Cancel() = 0;
};

// A Kubernetes REST client: verified TLS, bearer token or client certificate,
// the API server's Status in every error, client-side throttling and retries.
// Safe to use from several threads at once.
class Client {
 public:
  static Result<std::unique_ptr<Client>> Create(config::RestConfig config,
                                                ClientOptions options = {});
  virtual ~Client() = default;

  virtual Result<Json> Get(const Resource& r, const std::string& ns, const std::string& name,
                           const std::string& subresource = {}) = 0;
  virtual Result<ListPage> List(const Resource& r, const std::string& ns,
                                const ListOptions& options = {}) = 0;
  // Like List, but parses the answer as it streams in and hands each item over
  // at once: memory stays at one item however long the list. No retries.
  virtual Result<ListMeta> ListEach(const Resource& r, const std::string& ns,
                                    const ListOptions& options,
                                    const std::function<void(Json&& item)>& on_item) = 0;
  virtual Result<Json> Create(const Resource& r, const std::string& ns, const Json& body,
                              const WriteOptions& options = {}) = 0;
  // Sends metadata.resourceVersion as given: a stale one gets kConflict.
  virtual Result<Json> Update(const Resource& r, const std::string& ns, const Json& body,
                              const WriteOptions& options = {}) = 0;
  virtual Result<Json> Patch(const Resource& r, const std::string& ns, const std::string& name,
                             PatchType type, const Json& patch,
                             const PatchOptions& options = {}) = 0;
  virtual Status Delete(const Resource& r, const std::string& ns, const std::string& name,
                        const DeleteOptions& options = {}) = 0;
  virtual Result<std::unique_ptr<WatchStream>> Watch(const Resource& r, const std::string& ns,
                                                     const WatchOptions& options) = 0;

  const config::RestConfig& config() const { return config_; }

 protected:
  explicit Client(config::RestConfig config) : config_(std::move(config)) {}
  config::RestConfig config_;
};

// Sizes cpprestsdk's process-wide I/O thread pool (40 threads by default); call
// once from main before the first client exists. Later calls do nothing.
void ConfigureHttpThreads(size_t threads);

// Maps an HTTP status and a Kubernetes Status body to an Error.
Error ApiError(int http_status, const std::string& body, const std::string& what);

}  // namespace agentfleet::kube::rest
