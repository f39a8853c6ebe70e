#include "examples/agent/task_latency.h"

#include <gtest/gtest.h>

namespace agentfleet::agent {
namespace {

std::chrono::system_clock::time_point AtMs(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

TEST(TaskLatency, FromTheEntryIdsMillisecondsToNow) {
  EXPECT_DOUBLE_EQ(*TaskLatencySeconds("1700000000000-0", AtMs(1700000001250)), 1.25);
  EXPECT_DOUBLE_EQ(*TaskLatencySeconds("1700000000000-17", AtMs(1700000000000)), 0.0);
}

TEST(TaskLatency, AServerClockAheadReadsZero) {
  EXPECT_DOUBLE_EQ(*TaskLatencySeconds("1700000005000-0", AtMs(1700000000000)), 0.0);
}

TEST(TaskLatency, NotAnEntryIdIsNoReading) {
  EXPECT_FALSE(TaskLatencySeconds("", AtMs(0)).has_value());
  EXPECT_FALSE(TaskLatencySeconds("abc-1", AtMs(0)).has_value());
  EXPECT_FALSE(TaskLatencySeconds("1700000000000", AtMs(0)).has_value());
}

}  // namespace
}  // namespace agentfleet::agent
