#include "controller/fleet/api/url_checks.h"

#include <algorithm>
#include <cctype>

namespace agentfleet::fleet::api::detail {
namespace {

// Everything between "://" and the first '/', as the CRD's rules cut it:
// wider than a parser's authority (which also ends at '?' or '#'), so that
// nothing the clients read as user information escapes it.
std::string_view Authority(std::string_view url) {
  const size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

// A ':' before the authority's last '@': the Redis client takes the user
// information up to the last '@', libpq up to the first; either way a password.
bool HasPassword(std::string_view authority) {
  const size_t at = authority.rfind('@');
  return at != std::string_view::npos &&
         authority.substr(0, at).find(':') != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A query parameter named like a password (password, sslpassword, any case),
// or with a percent-encoded name, which libpq decodes before it looks.
bool HasPasswordParameter(std::string_view url) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      const std::string name = Lower(item.substr(0, eq));
      if (name.find("password") != std::string::npos || name.find('%') != std::string::npos) {
        return true;
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// A query parameter that makes libpq read a file or a service definition: in
// the operator's process that is the operator's disk, so a fleet could have
// it present the operator's client certificate or passwords.
bool HasLocalFileParameter(std::string_view url) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    const std::string name = Lower(item.substr(0, item.find('=')));
    for (const char* f : {"sslcert", "sslkey", "passfile", "service", "servicefile"}) {
      if (name == f) return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool HasQueryOrFragment(std::string_view url) {
  return url.find_first_of("?#") != std::string_view::npos;
}

}  // namespace

std::optional<std::string> CredentialInUrl(std::string_view url, UrlKind kind) {
  const std::string_view authority = Authority(url);
  switch (kind) {
    case UrlKind::kRedis:
      if (HasPassword(authority)) return "must not carry a password: use passwordSecretRef";
      if (HasQueryOrFragment(url)) {
        return "must not carry a query or fragment (redis://[user@]host[:port][/db]): a password "
               "goes in passwordSecretRef";
      }
      break;
    case UrlKind::kPostgres:
      if (HasPassword(authority)) return "must not carry a password: use passwordSecretRef";
      if (HasPasswordParameter(url)) {
        return "must not carry a password parameter (password=, sslpassword=, or a "
               "percent-encoded parameter name): use passwordSecretRef";
      }
      if (HasLocalFileParameter(url)) {
        return "must not name files or services (sslcert=, sslkey=, passfile=, service=, "
               "servicefile=): libpq would read them from the operator's own disk";
      }
      break;
    case UrlKind::kHttp:
      if (authority.find('@') != std::string_view::npos) {
        return "must not carry credentials: use credentialsSecretRef";
      }
      if (HasQueryOrFragment(url)) {
        return "must not carry a query or fragment (the operator builds its own requests): "
               "credentials go in credentialsSecretRef";
      }
      break;
  }
  return std::nullopt;
}

}  // namespace agentfleet::fleet::api::detail
