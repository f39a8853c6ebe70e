// The RESP parser on bytes a Redis server chose. Properties: no crash; the
// replies and the outcome are the same however the bytes are cut into reads
// (the first input byte picks the read size); a reply over its budget is
// refused, never returned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/sources/redis/resp.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using agentfleet::ErrorCode;
using agentfleet::sources::redis::Reply;
using agentfleet::sources::redis::RespLimits;
using agentfleet::sources::redis::RespParser;

// Small budgets, so that inputs of a few KiB reach them.
constexpr RespLimits kLimits{.max_reply_bytes = 200, .max_reply_elements = 16};

struct Outcome {
  std::vector<Reply> replies;
  bool failed = false;
  ErrorCode code = ErrorCode::kInternal;
};

// Drains every complete reply; false once the parser has failed.
bool Drain(RespParser& p, Outcome& out) {
  for (;;) {
    auto r = p.Next();
    if (!r.ok()) {
      out.failed = true;
      out.code = r.error().code;
      FUZZ_CHECK(r.error().code == ErrorCode::kInternal ||
                 r.error().code == ErrorCode::kResourceExhausted);
      FUZZ_CHECK(!p.Next().ok());  // failure is sticky
      return false;
    }
    if (!r->has_value()) return true;
    out.replies.push_back(std::move(**r));
  }
}

// The reply's size on the wire when written shortest: a lower bound of what
// the server sent for it.
size_t WireSize(const Reply& r) {
  const size_t crlf = 2;
  switch (r.type) {
    case Reply::Type::kNil:
      return 5;  // $-1 or *-1
    case Reply::Type::kStatus:
    case Reply::Type::kError:
      return 1 + r.str.size() + crlf;
    case Reply::Type::kInteger:
      return 1 + std::to_string(r.integer).size() + crlf;
    case Reply::Type::kBulk:
      return 1 + std::to_string(r.str.size()).size() + crlf + r.str.size() + crlf;
    case Reply::Type::kArray: {
      size_t n = 1 + std::to_string(r.elements.size()).size() + crlf;
      for (const auto& e : r.elements) n += WireSize(e);
      return n;
    }
  }
  return 0;
}

int64_t Elements(const Reply& r) {
  int64_t n = 0;
  for (const auto& e : r.elements) n += 1 + Elements(e);
  return n;
}

Outcome Parse(std::string_view bytes, size_t read_size) {
  RespParser p(kLimits);
  Outcome out;
  for (size_t at = 0; at < bytes.size(); at += read_size) {
    p.Feed(bytes.substr(at, read_size));
    if (!Drain(p, out)) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t read_size = 1 + data[0] % 16;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  Outcome whole = Parse(bytes, bytes.size() + 1);
  Outcome cut = Parse(bytes, read_size);
  FUZZ_CHECK(whole.replies == cut.replies);
  FUZZ_CHECK(whole.failed == cut.failed);
  for (const Reply& r : whole.replies) {
    FUZZ_CHECK(Elements(r) <= kLimits.max_reply_elements);
    FUZZ_CHECK(WireSize(r) <= kLimits.max_reply_bytes);
    (void)r.DebugString();
  }
  return 0;
}
