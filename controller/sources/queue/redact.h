#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controller/base/result.h"

namespace agentfleet::sources::queue {

// The last line of defence against leaking credentials: every error a source
// returns passes through here, so that even a server that echoes a request
// header back cannot put a secret into a log line or an event.
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(std::vector<std::string> secrets);
  void Add(std::string secret);

  std::string Redact(std::string text) const;
  Error Redact(Error error) const;
  template <typename T>
  Result<T> Redact(Result<T> r) const {
    if (r.ok()) return r;
    return Redact(r.error());
  }

 private:
  std::vector<std::string> secrets_;
};

// Keeps at most `max` bytes of text coming from a server, on one line.
std::string Excerpt(std::string_view text, size_t max = 200);

}  // namespace agentfleet::sources::queue
