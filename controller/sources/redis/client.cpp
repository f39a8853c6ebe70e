#include "controller/sources/redis/client.h"

#include <openssl/sha.h>

#include <cstdio>

#include "controller/sources/redis/transport.h"

namespace agentfleet::sources::redis {
namespace {

using Clock = std::chrono::steady_clock;

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string hex(2 * SHA_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    std::snprintf(&hex[2 * i], 3, "%02x", digest[i]);
  }
  return hex;
}

bool HasPrefix(const Reply& r, std::string_view prefix) {
  return r.IsError() && std::string_view(r.str).starts_with(prefix);
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

Error ErrorFromReply(const Reply& reply, std::string_view context) {
  const std::string message = "redis " + std::string(context) + ": " + reply.str;
  for (std::string_view p : {"NOAUTH", "WRONGPASS"}) {
    if (HasPrefix(reply, p)) return MakeError(ErrorCode::kUnauthorized, message);
  }
  if (HasPrefix(reply, "NOPERM")) return MakeError(ErrorCode::kForbidden, message);
  for (std::string_view p : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (HasPrefix(reply, p)) return MakeError(ErrorCode::kUnavailable, message);
  }
  if (HasPrefix(reply, "NOSCRIPT")) return MakeError(ErrorCode::kNotFound, message);
  return MakeError(ErrorCode::kInternal, message);
}

class Client::Connection {
 public:
  explicit Connection(const Options& o) : transport(o) {}
  Transport transport;
};

Client::Client(Options options) : options_(std::move(options)) {}
Client::~Client() = default;

const Options& Client::options() const {
  return options_;
}
bool Client::connected() const {
  return conn_ && conn_->transport.open();
}

Result<std::unique_ptr<Client>> Client::Connect(Options options) {
  std::unique_ptr<Client> client(new Client(std::move(options)));
  if (auto s = client->EnsureConnected(); !s.ok()) return s.error();
  return client;
}

Status Client::EnsureConnected() {
  if (connected()) return Ok{};
  if (!conn_) conn_ = std::make_unique<Connection>(options_);
  Transport& t = conn_->transport;
  const auto deadline = Clock::now() + options_.connect_timeout;
  if (auto s = t.Open(deadline); !s.ok()) return s;

  std::string hello;
  size_t n = 0;
  if (!options_.password.empty()) {
    Args auth{"AUTH"};
    if (!options_.username.empty()) auth.push_back(options_.username);
    auth.push_back(options_.password);
    AppendCommand(hello, auth);
    ++n;
  }
  if (options_.db != 0) {
    AppendCommand(hello, {"SELECT", std::to_string(options_.db)});
    ++n;
  }
  if (n == 0) return Ok{};
  auto replies = t.RoundTrip(hello, n, deadline, "AUTH/SELECT");
  if (!replies.ok()) return replies.error();
  for (const Reply& r : *replies) {
    if (r.IsError()) {
      t.Close();
      Error e = ErrorFromReply(r, options_.Endpoint());
      // A refused AUTH is an authentication failure whatever its wording.
      if (&r == &replies->front() && !options_.password.empty()) e.code = ErrorCode::kUnauthorized;
      return e;
    }
  }
  return Ok{};
}

Result<std::vector<Reply>> Client::Pipeline(const std::vector<Args>& commands) {
  if (commands.empty()) return std::vector<Reply>{};
  if (auto s = EnsureConnected(); !s.ok()) return s.error();
  std::string request;
  for (const Args& c : commands) AppendCommand(request, c);
  // Only the command name goes into messages: arguments may be secrets.
  std::string what = "pipeline of " + std::to_string(commands.size());
  if (commands.size() == 1) what = commands[0].empty() ? "?" : commands[0][0];
  return conn_->transport.RoundTrip(request, commands.size(),
                                    Clock::now() + options_.command_timeout, what);
}

Result<Reply> Client::Command(const Args& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.error();
  Reply& r = replies->front();
  if (r.IsError()) {
    return ErrorFromReply(r, options_.Endpoint() + " " + (args.empty() ? "?" : args[0]));
  }
  return std::move(r);
}

Result<Reply> Client::Eval(const Script& script, const Args& keys, const Args& args) {
  auto call = [&](const std::string& verb, const std::string& body) {
    Args cmd{verb, body, std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    return Pipeline({cmd});
  };
  auto replies = call("EVALSHA", script.sha1());
  if (!replies.ok()) return replies.error();
  if (HasPrefix(replies->front(), "NOSCRIPT")) {
    replies = call("EVAL", script.source());
    if (!replies.ok()) return replies.error();
  }
  Reply& r = replies->front();
  if (r.IsError()) return ErrorFromReply(r, options_.Endpoint() + " script " + script.sha1());
  return std::move(r);
}

}  // namespace agentfleet::sources::redis
