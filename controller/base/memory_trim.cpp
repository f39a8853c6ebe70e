#include "controller/base/memory_trim.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AGENTFLEET_OWN_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define AGENTFLEET_OWN_ALLOCATOR 1
#endif
// Under AddressSanitizer malloc is the sanitizer's, which malloc_trim does not reach.
#if defined(__GLIBC__) && !defined(AGENTFLEET_OWN_ALLOCATOR)
#define AGENTFLEET_MALLOC_TRIM 1
#include <malloc.h>
#endif

namespace agentfleet {

bool TrimFreeMemory() {
#if defined(AGENTFLEET_MALLOC_TRIM)
  malloc_trim(0);
  return true;
#else
  return false;
#endif
}

bool MemoryTrimmer::MaybeTrim() {
  const auto now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    if (last_ && now - *last_ < interval_) return false;
    last_ = now;
  }
  TrimFreeMemory();
  return true;
}

}  // namespace agentfleet
