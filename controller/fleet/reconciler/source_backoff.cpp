#include "controller/fleet/reconciler/source_backoff.h"

#include <algorithm>

namespace agentfleet::fleet::reconciler {

void SourceBackoff::Failed(Clock::Monotonic now) {
  ++failures_;
  // 2^(failures-1) s, without overflowing however long the source stays dead.
  const int doublings = std::min(failures_ - 1, 16);
  const auto delay =
      std::min<std::chrono::milliseconds>(kInitial * (int64_t{1} << doublings), kCap);
  next_ = now + delay;
}

}  // namespace agentfleet::fleet::reconciler
