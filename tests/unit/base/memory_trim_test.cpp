#include "controller/base/memory_trim.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace agentfleet {
namespace {

using std::chrono::seconds;

long ResidentKiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(MemoryTrimmer, TrimsAtMostOncePerInterval) {
  FakeClock clock;
  MemoryTrimmer trimmer(clock, seconds(10));
  EXPECT_TRUE(trimmer.MaybeTrim());
  clock.Advance(seconds(9));
  EXPECT_FALSE(trimmer.MaybeTrim());
  clock.Advance(seconds(1));
  EXPECT_TRUE(trimmer.MaybeTrim());
  EXPECT_FALSE(trimmer.MaybeTrim());
}

// What a pass over many pods does on a worker thread: many small blocks
// allocated and freed, a few kept. Without a trim the freed pages stay
// resident in the thread's arena.
TEST(TrimFreeMemory, GivesFreedPagesBackToTheSystem) {
  if (!TrimFreeMemory()) GTEST_SKIP() << "not glibc: malloc_trim is unavailable";
  std::vector<std::unique_ptr<char[]>> kept;
  std::thread worker([&] {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 400'000; ++i) {
      blocks.emplace_back(new char[200]);
      blocks.back()[0] = static_cast<char>(i);
      blocks.back()[199] = static_cast<char>(i);
    }
    for (size_t i = 0; i < blocks.size(); i += 4096) kept.push_back(std::move(blocks[i]));
  });
  worker.join();
  const long before = ResidentKiB();
  ASSERT_TRUE(TrimFreeMemory());
  const long after = ResidentKiB();
  EXPECT_GT(before - after, 40 * 1024) << "resident " << before << " KiB -> " << after << " KiB";
}

}  // namespace
}  // namespace agentfleet
