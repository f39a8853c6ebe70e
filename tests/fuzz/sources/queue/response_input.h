#pragma once

// Turns fuzz input into an HTTP answer: byte 0 picks the status, byte 1 the
// caller's options (bits), then header value and body separated by the first
// NUL. The statuses are those the servers answer with, plus one nobody sends.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/sources/queue/http_fetch.h"

namespace agentfleet::fuzz {

struct ResponseInput {
  sources::queue::HttpResponse response;
  uint8_t options = 0;
};

inline bool ReadResponse(const uint8_t* data, size_t size, std::string_view header_name,
                         ResponseInput& out) {
  static constexpr int kStatuses[] = {200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 503, 302};
  if (size < 2) return false;
  out.response.status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  out.options = data[1];
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const size_t nul = rest.find('\0');
  if (nul != std::string_view::npos) {
    out.response.headers.emplace_back(std::string(header_name), std::string(rest.substr(0, nul)));
    rest.remove_prefix(nul + 1);
  }
  out.response.body = std::string(rest);
  return true;
}

}  // namespace agentfleet::fuzz
