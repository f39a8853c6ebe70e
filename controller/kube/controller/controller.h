#pragma once

// The controller runner: N worker threads take keys from a workqueue and call
// the reconciler, then act on its ReconcileResult as controller-runtime does —
// done (forget the key's failures), requeue after a delay, retry an error with
// the rate limiter, or record a terminal error without retrying. A reconciler
// that throws is caught, logged and retried like an error; the process lives on.
//
// As controller/app/manager.cpp wires it:
//
//   kube::controller::Controller controller(
//       {.name = "pricingagentfleet", .max_concurrent_reconciles = 2,
//        .metrics = &registry, .log = log},
//       [&](const ReconcileRequest& req) { return reconciler.Reconcile(req.key); });
//   fleets.AddHandlers({.on_add = [&](const FleetPtr& f) { controller.Enqueue(f->meta.Key()); },
//                       .on_update = ..., .on_delete = ...});
//   auto enqueue_pod = [&](const PodPtr& p) {
//     if (auto key = fleet::reconciler::FleetKeyOfPod(*p)) controller.Enqueue(*key);
//   };
//   pods.AddHandlers({.on_add = enqueue_pod, .on_update = ..., .on_delete = enqueue_pod});
//   controller.Start();  // once elected leader, after both caches have synced
//   ...
//   controller.Stop();   // takes no new keys, lets reconciles in flight finish, joins
//
// Keys may be enqueued before Start (standbys keep their queue warm) — they
// are de-duplicated and wait for the workers.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "controller/base/clock.h"
#include "controller/kube/controller/controller_metrics.h"
#include "controller/kube/controller/reconcile_result.h"
#include "controller/kube/workqueue/rate_limiter.h"
#include "controller/kube/workqueue/workqueue.h"
#include "controller/obs/log.h"
#include "controller/obs/metrics.h"

namespace agentfleet::kube::controller {

struct ReconcileRequest {
  std::string key;  // "namespace/name"
  std::string ns;   // empty for cluster-scoped objects
  std::string name;
  std::string reconcile_id;  // unique per call
  // Carries controller, namespace, name and reconcileID: use it for every line
  // the reconcile logs.
  obs::Logger log;
  // Requested when the controller stops: a long reconcile may return early.
  std::stop_token stop;
};

using Reconciler = std::function<ReconcileResult(const ReconcileRequest&)>;

struct ControllerOptions {
  // Names the controller in logs and in the controller and workqueue metrics.
  std::string name{};
  int max_concurrent_reconciles = 1;
  const Clock* clock = nullptr;      // empty: the real clock
  obs::Registry* metrics = nullptr;  // empty: no metrics; else must outlive the controller
  obs::Logger log{};
  std::unique_ptr<workqueue::RateLimiter> rate_limiter{};  // empty: DefaultControllerRateLimiter
  std::function<std::string()> new_reconcile_id{};         // empty: NewReconcileID
};

class Controller {
 public:
  Controller(ControllerOptions options, Reconciler reconciler);
  ~Controller();  // Stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Thread-safe; callable before Start and from informer handlers.
  void Enqueue(const std::string& key) { queue_.Add(key); }
  void EnqueueAfter(const std::string& key, std::chrono::nanoseconds delay) {
    queue_.AddAfter(key, delay);
  }
  workqueue::WorkQueue& queue() { return queue_; }
  const std::string& name() const { return name_; }

  // Starts the workers. A second call does nothing; a stopped (or drained)
  // controller does not start again.
  void Start();

  // Stops taking keys and waits up to `timeout` for the reconciles in flight
  // to return; true when none is left. Stop() still joins the workers. For a
  // shutdown that must hand over within a bound (leader election): what is
  // still running after it is the caller's to cut off.
  bool Drain(std::chrono::milliseconds timeout);

  // Stops taking keys, waits for the reconciles in flight to return, joins the
  // workers. Keys still queued are dropped: level-triggered reconciles
  // re-derive everything from the next start's initial list. Idempotent.
  void Stop();

 private:
  void Work(std::stop_token stop);
  void Process(const std::string& key, std::stop_token stop);

  const std::string name_;
  const int workers_;
  const Clock& clock_;
  obs::Logger log_;
  std::function<std::string()> new_id_;
  Reconciler reconciler_;
  workqueue::WorkQueue queue_;
  std::unique_ptr<ControllerMetrics> metrics_;

  std::mutex mu_;
  std::condition_variable idle_;  // busy_ fell to 0
  bool started_ = false;
  bool stopped_ = false;
  bool draining_ = false;  // no reconcile starts any more
  int busy_ = 0;           // reconciles in flight
  std::vector<std::jthread> threads_;
};

}  // namespace agentfleet::kube::controller
