// The URLs a fleet's author writes: queue endpoints (http/https) and Redis
// URLs (which may carry a password). Properties: no crash; an accepted
// endpoint has a scheme, a host, a port and a path that starts with "/", and
// its origin parses back to the same place; neither a Redis URL's error nor
// its endpoint quotes the password; percent-encoding leaves only unreserved characters and %XX.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controller/sources/queue/url.h"
#include "controller/sources/redis/options.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace queue = agentfleet::sources::queue;
namespace redis = agentfleet::sources::redis;

bool Unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void CheckEndpoint(std::string_view text) {
  auto url = queue::ParseUrl(text);
  if (!url.ok()) {
    FUZZ_CHECK(!url.error().message.empty());
    return;
  }
  FUZZ_CHECK(url->scheme == "http" || url->scheme == "https");
  FUZZ_CHECK(!url->host.empty());
  FUZZ_CHECK(url->port != 0);
  FUZZ_CHECK(!url->path.empty() && url->path[0] == '/');
  FUZZ_CHECK(!url->HostHeader().empty());
  auto origin = queue::ParseUrl(url->Origin());
  if (origin.ok()) {
    FUZZ_CHECK(origin->scheme == url->scheme);
    FUZZ_CHECK(origin->host == url->host);
    FUZZ_CHECK(origin->port == url->port);
  }
}

// A password no fixed message contains, put in place of the input's user
// information, so that finding it in an error means the error quotes it.
constexpr std::string_view kCanary = "Cq7-pw-zX9";

void CheckRedis(std::string_view text) {
  auto o = redis::ParseUrl(text);
  if (o.ok()) {
    FUZZ_CHECK(!o->host.empty());
    FUZZ_CHECK(o->port != 0);
    FUZZ_CHECK(o->db >= 0);
  }
  const size_t start = text.find("://");
  if (start == std::string_view::npos) return;
  const std::string_view authority = text.substr(0, text.find('/', start + 3));
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos || at < start + 3) return;
  if (text.substr(at).find(kCanary) != std::string_view::npos) return;  // a host named like it
  const std::string with_canary = std::string(text.substr(0, start + 3)) +
                                  "user:" + std::string(kCanary) + std::string(text.substr(at));
  auto c = redis::ParseUrl(with_canary);
  if (c.ok()) {
    FUZZ_CHECK(c->password.find(kCanary) != std::string::npos);
    FUZZ_CHECK(c->Endpoint().find(kCanary) == std::string::npos);
  } else {
    FUZZ_CHECK(c.error().message.find(kCanary) == std::string::npos);
  }
}

void CheckPercentEncode(std::string_view text) {
  for (bool keep_slash : {false, true}) {
    const std::string out = queue::PercentEncode(text, keep_slash);
    size_t decoded = 0;
    for (size_t i = 0; i < out.size(); ++i, ++decoded) {
      if (out[i] == '%') {
        FUZZ_CHECK(i + 2 < out.size());
        i += 2;
      } else {
        FUZZ_CHECK(Unreserved(out[i]) || (keep_slash && out[i] == '/'));
      }
    }
    FUZZ_CHECK(decoded == text.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckEndpoint(text);
  CheckRedis(text);
  CheckPercentEncode(text);
  return 0;
}
