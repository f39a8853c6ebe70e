#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::sources::redis {

// Where and how to reach one Redis server.
struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  int db = 0;

  // Deadlines: connect covers resolve + TCP + TLS handshake + AUTH + SELECT;
  // command covers one round trip (a whole pipeline counts as one).
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};

  // AUTH: password alone (requirepass) or username + password (ACL). Never
  // logged and never part of an error message.
  std::string username;
  std::string password;

  // TLS: the server's certificate is always verified, against tls_ca_file if
  // set, else the system's trust store; the name checked is tls_server_name if
  // set, else host.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_server_name;

  // "host:port" for messages; deliberately carries no credential.
  std::string Endpoint() const;
};

// Parses redis://[[user]:password@]host[:port][/db] or rediss://... (TLS).
// User and password may be percent-encoded. Errors never quote the URL, since
// it may carry a password.
Result<Options> ParseUrl(std::string_view url);

}  // namespace agentfleet::sources::redis
