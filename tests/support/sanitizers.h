#pragma once

// Whether this build runs under AddressSanitizer. Its quarantine keeps freed
// memory (256 MiB by default) and pads every block, so a bound on a test's
// resident memory says nothing in that build; the typed refusal still does.

namespace agentfleet::testing {

#if defined(__SANITIZE_ADDRESS__)  // GCC
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// A bound on the growth of resident memory, in MiB: `mib`, or none under ASan.
inline constexpr long RssBoundMiB(long mib) {
  return kAddressSanitizer ? (1L << 20) : mib;
}

}  // namespace agentfleet::testing
