#pragma once

#include <chrono>
#include <string>

namespace agentfleet::sources::queue {

inline constexpr std::chrono::milliseconds kDefaultSourceTimeout{5000};

// TLS for an https:// (or rediss://) endpoint. Certificates are verified
// against `ca_file`, or the system store when it is empty.
struct TlsConfig {
  std::string ca_file;
  std::string cert_file;  // client certificate (mutual TLS), optional
  std::string key_file;
  // Overrides the name checked against the certificate (and sent as SNI).
  std::string server_name;
  bool insecure_skip_verify = false;
};

// Credentials the caller already resolved (from a Secret, or the providers of
// aws_credentials.h).
struct BasicCredentials {
  std::string username;
  std::string password;
};

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

}  // namespace agentfleet::sources::queue
