#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/queue/source_config.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  Url url;  // path and query are sent as they are
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // The first header of that name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// One HTTP/1.1 exchange on a fresh connection, TLS when the URL is https.
// Whatever happens (slow DNS, a port that accepts and never answers, a stalled
// TLS handshake) it returns within `timeout` plus scheduling slack:
//   kTimeout          the deadline passed
//   kUnavailable      resolve, connect, TLS or read failure
//   kInvalidArgument  unusable TLS settings (CA file missing...)
// Any HTTP status is a successful exchange; callers map statuses themselves.
// Messages name the host (and the port once resolved), never headers or bodies.
Result<HttpResponse> HttpFetch(const HttpRequest& request, const TlsConfig& tls,
                               std::chrono::milliseconds timeout);

}  // namespace agentfleet::sources::queue
