#pragma once

// glibc's allocator keeps freed memory in its arenas (main.cpp allows two)
// and gives back only what lies at the top of a heap. A pass over 10,000
// pods, or a batch of creates on 64 threads, allocates and frees tens of MiB,
// so without a trim the operator's resident memory stays at its highest point
// (docs/benchmarks.md, issue 13).

#include <chrono>
#include <mutex>
#include <optional>

#include "controller/base/clock.h"

namespace agentfleet {

// malloc_trim(0): returns the free pages of every arena to the system. False
// where the C library has no such call (nothing is done then).
bool TrimFreeMemory();

// TrimFreeMemory at most once per interval, however many threads ask.
class MemoryTrimmer {
 public:
  MemoryTrimmer(const Clock& clock, std::chrono::nanoseconds interval)
      : clock_(clock), interval_(interval) {}
  // True when this call was due; it then asked the C library to trim, which
  // does nothing under a sanitizer's allocator (see TrimFreeMemory).
  bool MaybeTrim();

 private:
  const Clock& clock_;
  const std::chrono::nanoseconds interval_;
  std::mutex mu_;
  std::optional<Clock::Monotonic> last_;  // guarded by mu_
};

}  // namespace agentfleet
