#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/sources/queue/source_config.h"

namespace agentfleet::sources::queue {

// AWS Signature Version 4 (header form), written out so that it can be checked
// step by step against AWS's published test suite.
struct SigV4Request {
  std::string method;
  std::string path = "/";  // the request path as sent (already percent-encoded)
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign
  std::string payload;
};

struct SigV4Scope {
  std::string amz_date;  // 20150830T123600Z
  std::string region;
  std::string service;
  std::string date() const { return amz_date.substr(0, 8); }
  std::string credential_scope() const {
    return date() + "/" + region + "/" + service + "/aws4_request";
  }
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header value
};

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes
std::string HexEncode(std::string_view bytes);

// yyyymmddThhmmssZ in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);

std::string CanonicalRequest(const SigV4Request& request);
std::string SignedHeaders(const SigV4Request& request);
SigV4Signature SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                      const SigV4Scope& scope);

}  // namespace agentfleet::sources::queue
