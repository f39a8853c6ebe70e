#include "controller/kube/workqueue/sleeper.h"

#include <gtest/gtest.h>

#include <thread>

namespace agentfleet::kube::workqueue {
namespace {

using namespace std::chrono;

TEST(Sleeper, SleepsTheFullTimeWhenNotStopped) {
  std::stop_source source;
  auto t0 = steady_clock::now();
  EXPECT_TRUE(SleepFor(milliseconds(20), source.get_token()));
  EXPECT_GE(steady_clock::now() - t0, milliseconds(20));
}

TEST(Sleeper, AStopCutsTheSleepShort) {
  std::stop_source source;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    source.request_stop();
  });
  auto t0 = steady_clock::now();
  EXPECT_FALSE(SleepFor(minutes(10), source.get_token()));
  EXPECT_LT(steady_clock::now() - t0, seconds(5));
  stopper.join();
  EXPECT_FALSE(SleepFor(minutes(10), source.get_token())) << "already stopped: no sleep at all";
}

TEST(Sleeper, TokenBucketWaitIsInterruptible) {
  FakeClock clock;
  TokenBucket bucket(0.001, 1, clock);  // the second token comes after 1000 s
  ASSERT_TRUE(bucket.TryAccept());
  std::stop_source source;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(20));
    source.request_stop();
  });
  auto t0 = steady_clock::now();
  EXPECT_TRUE(bucket.Wait(nanoseconds::max(), StoppableSleeper(source.get_token())).ok());
  EXPECT_LT(steady_clock::now() - t0, seconds(5));
  EXPECT_TRUE(source.stop_requested());
  stopper.join();
}

}  // namespace
}  // namespace agentfleet::kube::workqueue
