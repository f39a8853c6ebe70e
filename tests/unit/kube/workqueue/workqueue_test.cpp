#include "controller/kube/workqueue/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "controller/obs/metrics.h"

namespace agentfleet::kube::workqueue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(WorkQueue, KeysAddedManyTimesAreHandedOutOnce) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  for (int i = 0; i < 5; ++i) {
    q.Add("ns/a");
    q.Add("ns/b");
  }
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.TryGet(), "ns/a");  // FIFO
  EXPECT_EQ(q.TryGet(), "ns/b");
  EXPECT_EQ(q.TryGet(), std::nullopt);
  q.Done("ns/a");
  q.Done("ns/b");
  EXPECT_EQ(q.TryGet(), std::nullopt);
}

TEST(WorkQueue, AKeyAddedWhileProcessingComesBackAfterDone) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("k");
  auto k = q.TryGet();
  ASSERT_EQ(k, "k");
  q.Add("k");
  q.Add("k");
  EXPECT_EQ(q.TryGet(), std::nullopt) << "must not be handed to a second worker";
  EXPECT_EQ(q.NumProcessing(), 1u);
  q.Done("k");
  EXPECT_EQ(q.TryGet(), "k");  // once, not twice
  q.Done("k");
  EXPECT_EQ(q.TryGet(), std::nullopt);
}

TEST(WorkQueue, NoKeyIsEverProcessedByTwoWorkersAtOnce) {
  WorkQueue q({.name = "race"});
  constexpr int kWorkers = 8, kKeys = 5, kAddsPerProducer = 5000;
  std::mutex mu;
  std::set<std::string> in_flight;
  std::atomic<int> violations{0}, processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.Get()) {
        {
          std::lock_guard lock(mu);
          if (!in_flight.insert(*key).second) ++violations;
        }
        std::this_thread::yield();
        {
          std::lock_guard lock(mu);
          in_flight.erase(*key);
        }
        ++processed;
        q.Done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kAddsPerProducer; ++i) q.Add("ns/key-" + std::to_string((i + p) % kKeys));
    });
  }
  for (auto& t : producers) t.join();
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_EQ(violations, 0);
  EXPECT_GE(processed, kKeys);
  EXPECT_LE(processed, 2 * kAddsPerProducer);
}

TEST(WorkQueue, EveryAddIsEventuallySeenAfterTheLastChange) {
  // Level-triggered guarantee: after the last Add of a key, some processing of
  // that key starts after it.
  WorkQueue q;
  std::atomic<int> version{0}, seen{-1};
  std::thread worker([&] {
    while (auto key = q.Get()) {
      seen = version.load();
      q.Done(*key);
    }
  });
  for (int i = 1; i <= 2000; ++i) {
    version = i;
    q.Add("k");
  }
  while (q.Len() > 0 || q.NumProcessing() > 0) std::this_thread::yield();
  q.ShutDown();
  worker.join();
  EXPECT_EQ(seen, 2000);
}

TEST(WorkQueue, AddAfterReleasesInDeadlineOrder) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("c", milliseconds(300));
  q.AddAfter("a", milliseconds(100));
  q.AddAfter("b", milliseconds(200));
  q.AddAfter("now", milliseconds(0));
  EXPECT_EQ(q.TryGet(), "now");
  EXPECT_EQ(q.TryGet(), std::nullopt);
  EXPECT_EQ(q.NumWaiting(), 3u);
  clock.Advance(milliseconds(99));
  EXPECT_EQ(q.TryGet(), std::nullopt);
  clock.Advance(milliseconds(150));  // a and b due, c not yet
  EXPECT_EQ(q.TryGet(), "a");
  EXPECT_EQ(q.TryGet(), "b");
  EXPECT_EQ(q.TryGet(), std::nullopt);
  clock.Advance(milliseconds(1000));
  EXPECT_EQ(q.TryGet(), "c");
}

TEST(WorkQueue, TheEarlierDeadlineWinsForTheSameKey) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("k", seconds(10));
  q.AddAfter("k", seconds(1));
  q.AddAfter("k", seconds(5));
  EXPECT_EQ(q.NumWaiting(), 1u);
  clock.Advance(seconds(1));
  EXPECT_EQ(q.TryGet(), "k");
  q.Done("k");
  clock.Advance(seconds(20));
  EXPECT_EQ(q.TryGet(), std::nullopt) << "the superseded deadlines must not fire again";
}

TEST(WorkQueue, ABlockedGetWakesWhenTheClockReachesADeadline) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.AddAfter("later", seconds(30));
  auto got = std::async(std::launch::async, [&] { return q.Get(); });
  EXPECT_EQ(got.wait_for(milliseconds(50)), std::future_status::timeout);
  clock.Advance(seconds(30));
  q.Tick();
  ASSERT_EQ(got.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(got.get(), "later");
}

TEST(WorkQueue, ABlockedGetWakesByItselfWithTheRealClock) {
  WorkQueue q;
  auto t0 = std::chrono::steady_clock::now();
  q.AddAfter("k", milliseconds(30));
  EXPECT_EQ(q.Get(), "k");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(30));
}

TEST(WorkQueue, RateLimitedRetriesGrowThenForgetResets) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  std::vector<milliseconds> delays;
  for (int attempt = 0; attempt < 5; ++attempt) {
    q.AddRateLimited("k");
    EXPECT_EQ(q.NumRequeues("k"), attempt + 1);
    auto waited = milliseconds(0);
    while (!q.TryGet()) {
      clock.Advance(milliseconds(1));
      waited += milliseconds(1);
    }
    delays.push_back(waited);
    q.Done("k");
  }
  EXPECT_EQ(delays, (std::vector<milliseconds>{milliseconds(5), milliseconds(10), milliseconds(20),
                                               milliseconds(40), milliseconds(80)}));
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
  q.AddRateLimited("k");
  clock.Advance(milliseconds(5));
  EXPECT_EQ(q.TryGet(), "k");
}

TEST(WorkQueue, AddsAfterShutDownAreIgnoredAndReadyKeysStillDrain) {
  FakeClock clock;
  WorkQueue q({.clock = &clock});
  q.Add("a");
  q.AddAfter("delayed", seconds(1));
  q.ShutDown();
  EXPECT_TRUE(q.ShuttingDown());
  q.Add("b");
  q.AddRateLimited("c");
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  clock.Advance(seconds(2));
  EXPECT_EQ(q.Get(), std::nullopt);  // returns at once; delayed keys were dropped
}

TEST(WorkQueue, ShutDownWakesEveryBlockedWorker) {
  WorkQueue q;
  std::vector<std::future<std::optional<std::string>>> gets;
  for (int i = 0; i < 4; ++i)
    gets.push_back(std::async(std::launch::async, [&] { return q.Get(); }));
  std::this_thread::sleep_for(milliseconds(20));
  q.ShutDown();
  for (auto& g : gets) {
    ASSERT_EQ(g.wait_for(seconds(5)), std::future_status::ready);
    EXPECT_EQ(g.get(), std::nullopt);
  }
}

TEST(WorkQueue, ShutDownWithDrainWaitsForKeysInFlight) {
  WorkQueue q;
  q.Add("k");
  auto key = q.Get();
  ASSERT_TRUE(key);
  std::atomic<bool> drained{false};
  std::thread shutter([&] {
    q.ShutDownWithDrain();
    drained = true;
  });
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(drained) << "returned while a key was still being processed";
  q.Done(*key);
  shutter.join();
  EXPECT_TRUE(drained);
}

TEST(WorkQueue, MetricsAsControllerRuntimeNamesThem) {
  FakeClock clock;
  obs::Registry registry;
  WorkQueue q({.name = "fleet", .clock = &clock, .metrics = &registry});
  auto gauge = [&](const char* name) {
    return registry.RegisterGauge(name, "", {"name"}).WithLabels({"fleet"}).Value();
  };
  q.Add("a");
  q.Add("a");
  q.Add("b");
  EXPECT_EQ(gauge("workqueue_depth"), 2);
  auto& adds = registry.RegisterCounter("workqueue_adds_total", "", {"name"}).WithLabels({"fleet"});
  EXPECT_EQ(adds.Value(), 2);

  clock.Advance(milliseconds(250));
  auto a = q.TryGet();
  EXPECT_EQ(gauge("workqueue_depth"), 1);
  clock.Advance(seconds(3));
  std::string text = registry.Render();  // runs the collect hook
  EXPECT_DOUBLE_EQ(gauge("workqueue_unfinished_work_seconds"), 3);
  EXPECT_DOUBLE_EQ(gauge("workqueue_longest_running_processor_seconds"), 3);
  q.Done(*a);
  registry.Render();
  EXPECT_DOUBLE_EQ(gauge("workqueue_unfinished_work_seconds"), 0);

  q.AddRateLimited("c");
  q.AddRateLimited("e", seconds(1));
  q.AddAfter("d", seconds(1));  // a delayed add (a poll, a batch) is no retry
  auto& retries =
      registry.RegisterCounter("workqueue_retries_total", "", {"name"}).WithLabels({"fleet"});
  EXPECT_EQ(retries.Value(), 2);

  auto snap = [&](const char* name) {
    return registry.RegisterHistogram(name, "", {"name"}, obs::ExponentialBuckets(10e-9, 10, 12))
        .WithLabels({"fleet"})
        .Snap();
  };
  auto queued = snap("workqueue_queue_duration_seconds");
  EXPECT_EQ(queued.count, 1u);
  EXPECT_DOUBLE_EQ(queued.sum, 0.25);
  auto work = snap("workqueue_work_duration_seconds");
  EXPECT_EQ(work.count, 1u);
  EXPECT_DOUBLE_EQ(work.sum, 3);
  for (auto name :
       {"workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds",
        "workqueue_work_duration_seconds", "workqueue_retries_total",
        "workqueue_unfinished_work_seconds", "workqueue_longest_running_processor_seconds"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name), std::string::npos) << name;
  }
}

TEST(WorkQueue, ADestroyedQueueLeavesTheRegistryScrapable) {
  obs::Registry registry;
  {
    WorkQueue q({.name = "short-lived", .metrics = &registry});
    q.Add("x");
  }
  EXPECT_NE(registry.Render().find("workqueue_depth{name=\"short-lived\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace agentfleet::kube::workqueue
