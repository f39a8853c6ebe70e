#include "controller/kube/controller/controller.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

namespace agentfleet::kube::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records reconcile calls and lets the test wait for them.
class Calls {
 public:
  void Record(const ReconcileRequest& req) {
    std::lock_guard lock(mu_);
    requests_.push_back({req.key, req.ns, req.name, req.reconcile_id, req.log, req.stop});
    cv_.notify_all();
  }
  bool WaitFor(std::size_t n, milliseconds timeout = milliseconds(5000)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }
  std::size_t Count() {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  ReconcileRequest At(std::size_t i) {
    std::lock_guard lock(mu_);
    return requests_.at(i);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReconcileRequest> requests_;
};

struct Lines {
  std::mutex mu;
  std::vector<nlohmann::json> lines;
  obs::LogSink Sink() {
    return [this](std::string_view l) {
      std::lock_guard lock(mu);
      lines.push_back(nlohmann::json::parse(l));
    };
  }
  std::vector<nlohmann::json> WithMsg(std::string_view prefix) {
    std::lock_guard lock(mu);
    std::vector<nlohmann::json> out;
    for (auto& l : lines) {
      if (l["msg"].get<std::string>().starts_with(prefix)) out.push_back(l);
    }
    return out;
  }
};

class ControllerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Controller> Make(std::function<ReconcileResult(const ReconcileRequest&)> fn,
                                   int workers = 1) {
    return std::make_unique<Controller>(
        ControllerOptions{
            .name = "fleet",
            .max_concurrent_reconciles = workers,
            .clock = &clock_,
            .metrics = &registry_,
            .log = obs::Logger(
                {.level = obs::Level::kDebug, .sink = lines_.Sink(), .clock = &clock_})},
        [this, fn](const ReconcileRequest& req) {
          auto r = fn(req);
          calls_.Record(req);
          return r;
        });
  }
  double Total(const std::string& result) {
    return registry_
        .RegisterCounter("controller_runtime_reconcile_total", "", {"controller", "result"})
        .WithLabels({"fleet", result})
        .Value();
  }
  double Counter(const char* name) {
    return registry_.RegisterCounter(name, "", {"controller"}).WithLabels({"fleet"}).Value();
  }
  double Gauge(const char* name) {
    return registry_.RegisterGauge(name, "", {"controller"}).WithLabels({"fleet"}).Value();
  }
  // Waits until the worker has handed the key back to the queue (as delayed).
  void WaitUntilWaiting(Controller& c, std::size_t n = 1) {
    for (int i = 0; i < 5000 && c.queue().NumWaiting() != n; ++i) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(c.queue().NumWaiting(), n);
  }
  void Advance(Controller& c, std::chrono::nanoseconds d) {
    clock_.Advance(d);
    c.queue().Tick();
  }
  // Nothing more happens for a while (for checks that something is NOT retried).
  void Settle() { std::this_thread::sleep_for(milliseconds(100)); }

  FakeClock clock_;
  obs::Registry registry_;
  Lines lines_;
  Calls calls_;
};

TEST_F(ControllerTest, DoneCountsSuccessAndLogsWithContext) {
  auto c = Make([](const ReconcileRequest& req) {
    req.log.Info("hello from reconcile");
    return ReconcileResult::Done();
  });
  c->Enqueue("shop/eu");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  auto req = calls_.At(0);
  EXPECT_EQ(req.key, "shop/eu");
  EXPECT_EQ(req.ns, "shop");
  EXPECT_EQ(req.name, "eu");
  EXPECT_EQ(req.reconcile_id.size(), 36u);
  c->Stop();
  EXPECT_EQ(Total("success"), 1);
  EXPECT_EQ(Total("error"), 0);
  auto hello = lines_.WithMsg("hello from reconcile");
  ASSERT_EQ(hello.size(), 1u);
  EXPECT_EQ(hello[0]["controller"], "fleet");
  EXPECT_EQ(hello[0]["namespace"], "shop");
  EXPECT_EQ(hello[0]["name"], "eu");
  EXPECT_EQ(hello[0]["reconcileID"], req.reconcile_id);
}

TEST_F(ControllerTest, EachReconcileGetsItsOwnID) {
  auto c = Make([](const ReconcileRequest&) { return ReconcileResult::Done(); });
  c->Start();
  c->Enqueue("ns/a");
  ASSERT_TRUE(calls_.WaitFor(1));
  c->Enqueue("ns/a");
  ASSERT_TRUE(calls_.WaitFor(2));
  EXPECT_NE(calls_.At(0).reconcile_id, calls_.At(1).reconcile_id);
}

TEST_F(ControllerTest, ErrorsAreRetriedWithGrowingBackoffThenForgotten) {
  std::atomic<int> n{0};
  auto c = Make([&](const ReconcileRequest&) -> ReconcileResult {
    if (++n <= 3) return MakeError(ErrorCode::kUnavailable, "queue source down");
    return ReconcileResult::Done();
  });
  c->Enqueue("ns/a");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  WaitUntilWaiting(*c);
  Advance(*c, milliseconds(5));
  ASSERT_TRUE(calls_.WaitFor(2));
  WaitUntilWaiting(*c);
  Advance(*c, milliseconds(9));  // the second retry waits 10 ms
  Settle();
  EXPECT_EQ(calls_.Count(), 2u);
  Advance(*c, milliseconds(1));
  ASSERT_TRUE(calls_.WaitFor(3));
  WaitUntilWaiting(*c);
  EXPECT_EQ(c->queue().NumRequeues("ns/a"), 3);
  Advance(*c, milliseconds(20));
  ASSERT_TRUE(calls_.WaitFor(4));
  c->Stop();
  EXPECT_EQ(c->queue().NumRequeues("ns/a"), 0) << "success forgets the failures";
  EXPECT_EQ(Total("error"), 3);
  EXPECT_EQ(Total("success"), 1);
  EXPECT_EQ(Counter("controller_runtime_reconcile_errors_total"), 3);
  EXPECT_EQ(Counter("controller_runtime_terminal_reconcile_errors_total"), 0);
  auto errors = lines_.WithMsg("Reconciler error");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0]["error"], "Unavailable: queue source down");
  EXPECT_EQ(errors[0]["level"], "error");
}

// A reconciler that must look again soon whatever the failures (a fleet whose
// creates a quota refuses must still scale) caps the backoff; the failures
// are still counted as errors.
TEST_F(ControllerTest, AnErrorMayCapItsBackoff) {
  auto c = Make([&](const ReconcileRequest&) -> ReconcileResult {
    return ReconcileResult::Fail(MakeError(ErrorCode::kUnavailable, "exceeded quota"),
                                 milliseconds(40));
  });
  c->Enqueue("ns/a");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  for (size_t i = 2; i <= 10; ++i) {
    WaitUntilWaiting(*c);
    Advance(*c, milliseconds(40));
    ASSERT_TRUE(calls_.WaitFor(i)) << "retry " << i << " was held back past the 40 ms cap";
  }
  c->Stop();
  EXPECT_EQ(Total("error"), 10);
  EXPECT_GE(c->queue().NumRequeues("ns/a"), 9) << "the failures still count";
}

TEST_F(ControllerTest, TerminalErrorsAreRecordedAndNotRetried) {
  auto c = Make([](const ReconcileRequest&) {
    return ReconcileResult::Terminal(MakeError(ErrorCode::kInvalidArgument, "spec.shards < 1"));
  });
  c->Enqueue("ns/bad");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  Settle();
  EXPECT_EQ(c->queue().NumWaiting(), 0u);
  Advance(*c, seconds(2000));
  Settle();
  EXPECT_EQ(calls_.Count(), 1u);
  EXPECT_EQ(Counter("controller_runtime_terminal_reconcile_errors_total"), 1);
  EXPECT_EQ(Counter("controller_runtime_reconcile_errors_total"), 1);
  EXPECT_EQ(Total("error"), 1);
  auto logged = lines_.WithMsg("Reconciler error (terminal");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["error"], "InvalidArgument: spec.shards < 1");
  // A later change enqueues it again.
  c->Enqueue("ns/bad");
  ASSERT_TRUE(calls_.WaitFor(2));
}

TEST_F(ControllerTest, ExceptionsAreContainedAndRetried) {
  std::atomic<int> n{0};
  auto c = Make([&](const ReconcileRequest&) -> ReconcileResult {
    int i = ++n;
    if (i == 1) throw std::runtime_error("null fleet");
    if (i == 2) throw 42;
    return ReconcileResult::Done();
  });
  c->Enqueue("ns/a");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(0));
  WaitUntilWaiting(*c);
  Advance(*c, milliseconds(5));
  WaitUntilWaiting(*c);
  Advance(*c, milliseconds(10));
  for (int i = 0; i < 5000 && Total("success") < 1; ++i)
    std::this_thread::sleep_for(milliseconds(1));
  c->Stop();
  EXPECT_EQ(n, 3);
  EXPECT_EQ(Total("error"), 2);
  EXPECT_EQ(Total("success"), 1);
  auto observed = lines_.WithMsg("Observed an exception");
  ASSERT_EQ(observed.size(), 2u);
  EXPECT_EQ(observed[0]["exception"], "null fleet");
  EXPECT_EQ(observed[1]["exception"], "unknown");
}

TEST_F(ControllerTest, RequeueAfterWaitsExactlyTheDelay) {
  std::atomic<int> n{0};
  auto c = Make([&](const ReconcileRequest&) {
    return ++n == 1 ? ReconcileResult::RequeueAfter(seconds(30)) : ReconcileResult::Done();
  });
  c->Enqueue("ns/poll");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  WaitUntilWaiting(*c);
  Advance(*c, seconds(29));
  Settle();
  EXPECT_EQ(calls_.Count(), 1u);
  Advance(*c, seconds(1));
  ASSERT_TRUE(calls_.WaitFor(2));
  c->Stop();
  EXPECT_EQ(Total("requeue_after"), 1);
  EXPECT_EQ(Total("success"), 1);
}

TEST_F(ControllerTest, RequeueUsesTheRateLimiterWithoutCountingAnError) {
  std::atomic<int> n{0};
  auto c = Make([&](const ReconcileRequest&) {
    return ++n == 1 ? ReconcileResult::Requeue() : ReconcileResult::Done();
  });
  c->Enqueue("ns/a");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  WaitUntilWaiting(*c);
  Advance(*c, milliseconds(5));
  ASSERT_TRUE(calls_.WaitFor(2));
  c->Stop();
  EXPECT_EQ(Total("requeue"), 1);
  EXPECT_EQ(Counter("controller_runtime_reconcile_errors_total"), 0);
}

TEST_F(ControllerTest, ReconcileTimeIsMeasuredOnTheInjectedClock) {
  auto c = Make([&](const ReconcileRequest&) {
    clock_.Advance(milliseconds(300));
    return ReconcileResult::Done();
  });
  c->Enqueue("ns/a");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  c->Stop();
  auto snap =
      registry_
          .RegisterHistogram(
              "controller_runtime_reconcile_time_seconds", "", {"controller"},
              {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
               0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
               6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60})
          .WithLabels({"fleet"})
          .Snap();
  EXPECT_EQ(snap.count, 1u);
  EXPECT_DOUBLE_EQ(snap.sum, 0.3);
}

TEST_F(ControllerTest, WorkersRunInParallelUpToTheLimit) {
  std::atomic<int> active{0}, peak{0};
  auto c = Make(
      [&](const ReconcileRequest&) {
        int now = ++active;
        int p = peak;
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::sleep_for(milliseconds(20));
        --active;
        return ReconcileResult::Done();
      },
      4);
  for (int i = 0; i < 16; ++i) c->Enqueue("ns/k" + std::to_string(i));
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(16));
  c->Stop();
  EXPECT_LE(peak, 4);
  EXPECT_GE(peak, 2);
  EXPECT_EQ(Gauge("controller_runtime_max_concurrent_reconciles"), 4);
  EXPECT_EQ(Gauge("controller_runtime_active_workers"), 0);
}

TEST_F(ControllerTest, KeysEnqueuedBeforeStartAreDeduplicated) {
  auto c = Make([](const ReconcileRequest&) { return ReconcileResult::Done(); });
  for (int i = 0; i < 5; ++i) c->Enqueue("ns/a");
  Settle();
  EXPECT_EQ(calls_.Count(), 0u);
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  Settle();
  EXPECT_EQ(calls_.Count(), 1u);
}

TEST_F(ControllerTest, StopFinishesReconcilesInFlightAndTakesNoMoreKeys) {
  std::promise<void> entered;
  std::atomic<bool> release{false}, saw_stop{false};
  auto c = Make([&](const ReconcileRequest& req) {
    if (req.name == "slow") {
      entered.set_value();
      while (!release) std::this_thread::sleep_for(milliseconds(1));
      saw_stop = req.stop.stop_requested();
    }
    return ReconcileResult::Done();
  });
  c->Enqueue("ns/slow");
  c->Start();
  entered.get_future().wait();
  c->Enqueue("ns/queued");
  auto stopped = std::async(std::launch::async, [&] { c->Stop(); });
  EXPECT_EQ(stopped.wait_for(milliseconds(100)), std::future_status::timeout)
      << "Stop returned while a reconcile was still running";
  release = true;
  ASSERT_EQ(stopped.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_TRUE(saw_stop) << "the reconcile's stop token was not requested";
  EXPECT_EQ(calls_.Count(), 1u) << "a key was taken after Stop";
  c->Enqueue("ns/after");
  c->Start();  // a stopped controller stays stopped
  Settle();
  EXPECT_EQ(calls_.Count(), 1u);
}

TEST_F(ControllerTest, DrainWaitsForReconcilesInFlightUpToItsTimeout) {
  std::promise<void> entered;
  std::atomic<bool> release{false};
  auto c = Make([&](const ReconcileRequest& req) {
    if (req.name == "slow") {
      entered.set_value();
      while (!release) std::this_thread::sleep_for(milliseconds(1));
    }
    return ReconcileResult::Done();
  });
  c->Enqueue("ns/slow");
  c->Start();
  entered.get_future().wait();
  c->Enqueue("ns/queued");  // the worker must not take it once draining
  EXPECT_FALSE(c->Drain(milliseconds(50))) << "a reconcile is still running";
  release = true;
  EXPECT_TRUE(c->Drain(seconds(5)));
  c->Enqueue("ns/after");
  c->Start();  // a drained controller does not start again
  c->Stop();
  EXPECT_EQ(calls_.Count(), 1u) << "a key was taken while draining";
}

TEST_F(ControllerTest, DrainOfAControllerNeverStartedReturnsAtOnce) {
  auto c = Make([](const ReconcileRequest&) { return ReconcileResult::Done(); });
  c->Enqueue("ns/a");
  EXPECT_TRUE(c->Drain(milliseconds(0)));
  c->Start();
  c->Stop();
  EXPECT_EQ(calls_.Count(), 0u);
}

TEST_F(ControllerTest, MalformedKeysAreDroppedAsTerminal) {
  auto c = Make([](const ReconcileRequest&) { return ReconcileResult::Done(); });
  c->Enqueue("a/b/c");
  c->Enqueue("ns/ok");
  c->Start();
  ASSERT_TRUE(calls_.WaitFor(1));
  c->Stop();
  EXPECT_EQ(calls_.At(0).key, "ns/ok");
  EXPECT_EQ(Counter("controller_runtime_terminal_reconcile_errors_total"), 1);
}

TEST_F(ControllerTest, MetricsAreExposedUnderControllerRuntimeNames) {
  auto c = Make([](const ReconcileRequest&) { return ReconcileResult::Done(); });
  std::string text = registry_.Render();
  for (auto name :
       {"controller_runtime_reconcile_total{controller=\"fleet\",result=\"success\"} 0",
        "controller_runtime_reconcile_total{controller=\"fleet\",result=\"error\"} 0",
        "controller_runtime_reconcile_total{controller=\"fleet\",result=\"requeue\"} 0",
        "controller_runtime_reconcile_total{controller=\"fleet\",result=\"requeue_after\"} 0",
        "controller_runtime_reconcile_errors_total{controller=\"fleet\"} 0",
        "controller_runtime_terminal_reconcile_errors_total{controller=\"fleet\"} 0",
        "controller_runtime_reconcile_time_seconds_count{controller=\"fleet\"} 0",
        "controller_runtime_active_workers{controller=\"fleet\"} 0",
        "controller_runtime_max_concurrent_reconciles{controller=\"fleet\"} 1",
        "workqueue_depth{name=\"fleet\"} 0"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace agentfleet::kube::controller
