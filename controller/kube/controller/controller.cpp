#include "controller/kube/controller/controller.h"

#include <exception>

#include "controller/kube/controller/object_key.h"
#include "controller/kube/controller/reconcile_id.h"

namespace agentfleet::kube::controller {

Controller::Controller(ControllerOptions options, Reconciler reconciler)
    : name_(std::move(options.name)),
      workers_(std::max(1, options.max_concurrent_reconciles)),
      clock_(options.clock ? *options.clock : RealClock::Instance()),
      log_(options.log.WithController(name_)),
      new_id_(options.new_reconcile_id ? std::move(options.new_reconcile_id) : NewReconcileID),
      reconciler_(std::move(reconciler)),
      queue_({.name = name_,
              .clock = &clock_,
              .rate_limiter = std::move(options.rate_limiter),
              .metrics = options.metrics}) {
  if (options.metrics != nullptr) {
    metrics_ = std::make_unique<ControllerMetrics>(*options.metrics, name_);
    metrics_->max_concurrent.Set(workers_);
  }
}

Controller::~Controller() {
  Stop();
}

void Controller::Start() {
  std::lock_guard lock(mu_);
  if (started_ || stopped_ || draining_) return;
  started_ = true;
  log_.Info("Starting workers", {{"worker count", workers_}});
  for (int i = 0; i < workers_; ++i) {
    threads_.emplace_back([this](std::stop_token stop) { Work(stop); });
  }
}

bool Controller::Drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  draining_ = true;
  for (auto& t : threads_) t.request_stop();
  lock.unlock();
  queue_.ShutDown();
  lock.lock();
  return idle_.wait_for(lock, timeout, [this] { return busy_ == 0; });
}

void Controller::Stop() {
  std::vector<std::jthread> threads;
  bool started;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    draining_ = true;
    started = started_;
    threads = std::move(threads_);
  }
  for (auto& t : threads) t.request_stop();
  queue_.ShutDown();
  threads.clear();  // joins: reconciles in flight finish first
  if (started) log_.Info("All workers finished");
}

void Controller::Work(std::stop_token stop) {
  while (auto key = queue_.Get()) {
    {
      // Checked with busy_ under one lock, so that a Drain that found no
      // reconcile in flight never sees one start after it.
      std::lock_guard lock(mu_);
      if (draining_ || stop.stop_requested()) {
        queue_.Done(*key);
        return;
      }
      ++busy_;
    }
    Process(*key, stop);
    {
      std::lock_guard lock(mu_);
      --busy_;
    }
    idle_.notify_all();
    queue_.Done(*key);
  }
}

void Controller::Process(const std::string& key, std::stop_token stop) {
  auto object = SplitKey(key);
  if (!object) {
    // Only a bug in an event handler makes such a key; retrying cannot fix it.
    log_.Error("Dropping malformed key", {{"key", key}, {"error", object.error()}});
    queue_.Forget(key);
    if (metrics_) {
      metrics_->errors.Inc();
      metrics_->terminal_errors.Inc();
      metrics_->error.Inc();
    }
    return;
  }
  std::string id = new_id_();
  ReconcileRequest req{key,
                       object->ns,
                       object->name,
                       id,
                       log_.WithObject(object->ns, object->name).WithReconcileID(id),
                       stop};

  if (metrics_) metrics_->active_workers.Inc();
  auto start = clock_.Now();
  req.log.Debug("Reconciling");
  ReconcileResult result = ReconcileResult::Done();
  try {
    result = reconciler_(req);
  } catch (const std::exception& e) {
    req.log.Error("Observed an exception in reconcile", {{"exception", e.what()}});
    result = MakeError(ErrorCode::kInternal, std::string("reconcile threw: ") + e.what());
  } catch (...) {
    req.log.Error("Observed an exception in reconcile", {{"exception", "unknown"}});
    result = MakeError(ErrorCode::kInternal, "reconcile threw a non-standard exception");
  }
  auto elapsed = std::chrono::duration<double>(clock_.Now() - start).count();
  if (metrics_) {
    metrics_->reconcile_time.Observe(elapsed);
    metrics_->active_workers.Dec();
  }

  switch (result.kind()) {
    case ReconcileResult::Kind::kDone:
      queue_.Forget(key);
      if (metrics_) metrics_->success.Inc();
      req.log.Debug("Reconcile done", {{"seconds", elapsed}});
      break;
    case ReconcileResult::Kind::kRequeueAfter:
      // The delay replaces the backoff: a successful pass resets the failures.
      queue_.Forget(key);
      queue_.AddAfter(key, result.requeue_after());
      if (metrics_) metrics_->requeue_after.Inc();
      req.log.Debug("Reconcile done, requeueing",
                    {{"after", std::chrono::duration<double>(result.requeue_after()).count()}});
      break;
    case ReconcileResult::Kind::kRequeue:
      queue_.AddRateLimited(key);
      if (metrics_) metrics_->requeue.Inc();
      break;
    case ReconcileResult::Kind::kError:
      if (auto cap = result.retry_within()) {
        queue_.AddRateLimited(key, *cap);
      } else {
        queue_.AddRateLimited(key);
      }
      if (metrics_) {
        metrics_->errors.Inc();
        metrics_->error.Inc();
      }
      req.log.Error("Reconciler error",
                    {{"error", *result.error()}, {"requeues", queue_.NumRequeues(key)}});
      break;
    case ReconcileResult::Kind::kTerminalError:
      // Not retried; the next change to the object enqueues it afresh.
      queue_.Forget(key);
      if (metrics_) {
        metrics_->errors.Inc();
        metrics_->terminal_errors.Inc();
        metrics_->error.Inc();
      }
      req.log.Error("Reconciler error (terminal, not retried)", {{"error", *result.error()}});
      break;
  }
}

}  // namespace agentfleet::kube::controller
