#include "controller/sources/queue/aws_identity_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

#include "controller/base/http_status.h"
#include "controller/sources/queue/excerpt.h"

namespace agentfleet::sources::queue::aws {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// &amp; &lt; &gt; &quot; &apos; and numeric references; nullopt when one is
// malformed (a reply we do not understand is not guessed at).
std::optional<std::string> DecodeEntities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const size_t end = text.find(';', i);
    if (end == std::string_view::npos || end - i > 10) return std::nullopt;
    const std::string_view ref = text.substr(i + 1, end - i - 1);
    if (ref == "amp") {
      out += '&';
    } else if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() > 1 && ref[0] == '#') {
      const bool hex = ref[1] == 'x' || ref[1] == 'X';
      unsigned long code = 0;
      const std::string_view num = ref.substr(hex ? 2 : 1);
      if (num.empty()) return std::nullopt;
      for (char c : num) {
        const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                      : hex && std::isxdigit(static_cast<unsigned char>(c))
                          ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                          : -1;
        if (d < 0) return std::nullopt;
        code = code * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      }
      // Credentials are ASCII: anything else is not worth a UTF-8 encoder.
      if (code == 0 || code > 0x7f) return std::nullopt;
      out += static_cast<char>(code);
    } else {
      return std::nullopt;
    }
    i = end;
  }
  return out;
}

std::optional<json> ParseJson(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string JsonString(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ErrorCode CodeOfStsError(std::string_view code, int status) {
  if (code == "InvalidIdentityToken" || code == "ExpiredTokenException" ||
      code == "IDPRejectedClaim" || code == "InvalidClientTokenId") {
    return ErrorCode::kUnauthorized;
  }
  if (code == "AccessDenied" || code == "RegionDisabledException") return ErrorCode::kForbidden;
  if (code == "IDPCommunicationError") return ErrorCode::kUnavailable;
  if (code.find("Throttl") != std::string_view::npos) return ErrorCode::kTooManyRequests;
  if (code == "MalformedPolicyDocument" || code == "PackedPolicyTooLarge" ||
      code == "ValidationError") {
    return ErrorCode::kInvalidArgument;
  }
  return ErrorCodeForHttpStatus(status);
}

Result<TemporaryCredentials> Complete(TemporaryCredentials t, const std::string& expiration,
                                      std::string_view what, std::string_view answer) {
  if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty()) {
    return MakeError(ErrorCode::kInternal, std::string(what) + ": the " + std::string(answer) +
                                               " has no AccessKeyId or SecretAccessKey");
  }
  if (!expiration.empty()) {
    t.expiration = ParseIso8601(expiration);
    if (!t.expiration) {
      return MakeError(ErrorCode::kInternal,
                       std::string(what) + ": the " + std::string(answer) +
                           "'s Expiration is not a time: " + Excerpt(expiration, 40));
    }
  }
  return t;
}

}  // namespace

std::optional<system_clock::time_point> ParseIso8601(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return std::nullopt;  // fractions are dropped: expiry is to the second
  }
  int offset_minutes = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
    // UTC
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh, om;
    if (!Digits(s, i + 1, 2, oh) || !Digits(s, i + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (s[i] == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return system_clock::time_point(std::chrono::sys_days(ymd)) + std::chrono::hours(h) +
         std::chrono::minutes(mi - offset_minutes) + std::chrono::seconds(sec);
}

std::optional<std::string> XmlElementText(std::string_view xml, std::string_view name) {
  const std::string open = "<" + std::string(name);
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at + 1)) {
    const size_t after = at + open.size();
    if (after >= xml.size()) return std::nullopt;
    const char next = xml[after];
    // <name>, <name attr=...>, <name/>; not <nameOther>.
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\r' && next != '\n') {
      continue;
    }
    const size_t tag_end = xml.find('>', after);
    if (tag_end == std::string_view::npos) return std::nullopt;
    if (xml[tag_end - 1] == '/') return std::string();
    const std::string close = "</" + std::string(name) + ">";
    const size_t end = xml.find(close, tag_end + 1);
    if (end == std::string_view::npos) return std::nullopt;
    return DecodeEntities(xml.substr(tag_end + 1, end - tag_end - 1));
  }
  return std::nullopt;
}

HttpRequest AssumeRoleWithWebIdentityRequest(const Url& sts, std::string_view role_arn,
                                             std::string_view session_name,
                                             std::string_view web_identity_token) {
  HttpRequest req;
  req.method = "POST";
  req.url = sts;
  if (req.url.path.empty()) req.url.path = "/";
  req.url.query.clear();
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"Accept", "text/xml"}};
  // In the body, not the query: a token in a URL ends up in access logs.
  req.body = "Action=AssumeRoleWithWebIdentity&Version=" + std::string(kStsVersion) +
             "&RoleArn=" + PercentEncode(role_arn) +
             "&RoleSessionName=" + PercentEncode(session_name) +
             "&WebIdentityToken=" + PercentEncode(web_identity_token);
  return req;
}

Result<TemporaryCredentials> CredentialsFromStsResponse(const HttpResponse& response,
                                                        std::string_view what) {
  const std::string& body = response.body;
  if (response.status != 200) {
    const std::string code = XmlElementText(body, "Code").value_or("");
    const std::string message = XmlElementText(body, "Message").value_or("");
    std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
    if (!code.empty()) text += " " + Excerpt(code, 80);
    if (!message.empty()) text += ": " + Excerpt(message);
    if (code.empty() && message.empty() && !body.empty()) text += ": " + Excerpt(body);
    return MakeError(CodeOfStsError(code, response.status), std::move(text));
  }
  // The raw text of the block: its elements are decoded one by one.
  const size_t open = body.find("<Credentials>");
  const size_t close = open == std::string::npos ? open : body.find("</Credentials>", open);
  if (close == std::string::npos) {
    return MakeError(ErrorCode::kInternal,
                     std::string(what) + ": the STS answer has no Credentials element");
  }
  const std::string_view raw = std::string_view(body).substr(open, close - open);
  TemporaryCredentials t;
  t.credentials.access_key_id = XmlElementText(raw, "AccessKeyId").value_or("");
  t.credentials.secret_access_key = XmlElementText(raw, "SecretAccessKey").value_or("");
  t.credentials.session_token = XmlElementText(raw, "SessionToken").value_or("");
  if (t.credentials.session_token.empty()) {
    return MakeError(ErrorCode::kInternal,
                     std::string(what) + ": the STS answer has no SessionToken");
  }
  const std::string expiration = XmlElementText(raw, "Expiration").value_or("");
  if (expiration.empty()) {
    return MakeError(ErrorCode::kInternal,
                     std::string(what) + ": the STS answer has no Expiration");
  }
  return Complete(std::move(t), expiration, what, "STS answer");
}

Result<TemporaryCredentials> CredentialsFromContainerResponse(const HttpResponse& response,
                                                              std::string_view what) {
  auto j = ParseJson(response.body);
  if (response.status != 200) {
    std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
    if (j) {
      const std::string code = JsonString(*j, "code");
      const std::string message = JsonString(*j, "message");
      if (!code.empty()) text += " " + Excerpt(code, 80);
      if (!message.empty()) text += ": " + Excerpt(message);
    } else if (!response.body.empty()) {
      text += ": " + Excerpt(response.body);
    }
    return MakeError(ErrorCodeForHttpStatus(response.status), std::move(text));
  }
  if (!j) {
    return MakeError(ErrorCode::kInternal, std::string(what) + ": the answer is not a JSON object");
  }
  TemporaryCredentials t;
  t.credentials.access_key_id = JsonString(*j, "AccessKeyId");
  t.credentials.secret_access_key = JsonString(*j, "SecretAccessKey");
  t.credentials.session_token = JsonString(*j, "Token");
  return Complete(std::move(t), JsonString(*j, "Expiration"), what, "answer");
}

bool ContainerEndpointAllowed(const Url& url) {
  if (url.scheme == "https") return true;
  if (url.scheme != "http") return false;
  const std::string& h = url.host;
  if (h == "localhost" || h == "169.254.170.2" || h == "169.254.170.23") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    in6_addr eks{};
    inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return IN6_IS_ADDR_LOOPBACK(&v6) || std::memcmp(&v6, &eks, sizeof v6) == 0;
  }
  return false;
}

}  // namespace agentfleet::sources::queue::aws
