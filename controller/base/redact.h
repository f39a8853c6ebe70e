#pragma once

// The one place that keeps credentials out of text the operator writes: log
// lines, error messages, events. Every known secret value is replaced by
// kRedacted.
//
// Short secrets: a secret shorter than kShortSecret bytes is hidden only where
// it stands alone, that is where neither neighbouring byte is an ASCII letter
// or digit (the ends of the text, punctuation, spaces and other hidden secrets
// all count as edges). A one-character password "a" would otherwise turn every
// word holding an "a" into confetti; yet wherever a credential really shows up
// (":a@host", "password=a", "\"a\"", "AUTH a") it stands alone and is hidden.
// What stays visible is the same bytes inside an ordinary word, which tells a
// reader nothing. Longer secrets are hidden wherever they occur.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet {

inline constexpr std::string_view kRedacted = "[REDACTED]";
inline constexpr std::size_t kShortSecret = 4;

class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(std::vector<std::string> secrets);
  // Empty values are ignored: they would match everywhere.
  void Add(std::string secret);
  bool empty() const { return secrets_.empty(); }

  // Overlapping or adjacent secrets become one marker, so no part of either
  // survives between two replacements.
  std::string Redact(std::string_view text) const;
  // The message and the reason; the code and HTTP status stay.
  Error Redact(Error error) const;
  template <typename T>
  Result<T> Redact(Result<T> r) const {
    if (r.ok()) return r;
    return Redact(r.error());
  }

 private:
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace agentfleet
