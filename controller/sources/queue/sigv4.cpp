#include "controller/sources/queue/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims and collapses runs of spaces, as the canonical form requires.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// name → values in the order given; std::map keeps names sorted.
std::map<std::string, std::vector<std::string>> HeaderMap(const SigV4Request& r) {
  std::map<std::string, std::vector<std::string>> m;
  for (const auto& [name, value] : r.headers) m[Lower(name)].push_back(CanonicalValue(value));
  return m;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(sha256) failed");
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &len) == nullptr) {
    throw std::runtime_error("HMAC(sha256) failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string SignedHeaders(const SigV4Request& request) {
  std::string out;
  for (const auto& [name, values] : HeaderMap(request)) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : request.query) query.emplace_back(PercentEncode(k), PercentEncode(v));
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) {
    if (!canonical_query.empty()) canonical_query.push_back('&');
    canonical_query += k + "=" + v;
  }
  std::string canonical_headers;
  for (const auto& [name, values] : HeaderMap(request)) {
    canonical_headers += name + ":";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonical_headers.push_back(',');
      canonical_headers += values[i];
    }
    canonical_headers.push_back('\n');
  }
  return request.method + "\n" + request.path + "\n" + canonical_query + "\n" + canonical_headers +
         "\n" + SignedHeaders(request) + "\n" + Sha256Hex(request.payload);
}

SigV4Signature SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                      const SigV4Scope& scope) {
  SigV4Signature s;
  s.canonical_request = CanonicalRequest(request);
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + scope.credential_scope() +
                     "\n" + Sha256Hex(s.canonical_request);
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, scope.date());
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  key = HmacSha256(key, "aws4_request");
  s.signature = HexEncode(HmacSha256(key, s.string_to_sign));
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                    scope.credential_scope() + ", SignedHeaders=" + SignedHeaders(request) +
                    ", Signature=" + s.signature;
  return s;
}

}  // namespace agentfleet::sources::queue
