#include "controller/fleet/reconciler/source_backoff.h"

#include <gtest/gtest.h>

namespace agentfleet::fleet::reconciler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SourceBackoffTest, DueUntilTheFirstFailure) {
  SourceBackoff b;
  EXPECT_TRUE(b.Due(Clock::Monotonic{}));
  EXPECT_EQ(b.failures(), 0);
}

TEST(SourceBackoffTest, DoublesFromOneSecondAndStopsAtThirtySeconds) {
  SourceBackoff b;
  Clock::Monotonic now{};
  std::vector<int64_t> waits;
  for (int i = 0; i < 40; ++i) {
    b.Failed(now);
    EXPECT_FALSE(b.Due(now));
    EXPECT_FALSE(b.Due(b.next() - milliseconds(1)));
    EXPECT_TRUE(b.Due(b.next()));
    waits.push_back(std::chrono::duration_cast<milliseconds>(b.next() - now).count());
    now = b.next();
  }
  EXPECT_EQ(std::vector<int64_t>(waits.begin(), waits.begin() + 7),
            (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 30000, 30000}));
  EXPECT_EQ(waits.back(), 30000);  // no overflow however long the source stays dead
}

TEST(SourceBackoffTest, OneSuccessStartsOver) {
  SourceBackoff b;
  Clock::Monotonic now{};
  for (int i = 0; i < 5; ++i) b.Failed(now);
  b.Succeeded();
  EXPECT_TRUE(b.Due(now));
  b.Failed(now);
  EXPECT_EQ(b.next() - now, seconds(1));
}

}  // namespace
}  // namespace agentfleet::fleet::reconciler
