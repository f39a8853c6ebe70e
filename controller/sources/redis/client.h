#pragma once

// A small synchronous Redis client: one connection, deadlines on everything,
// pipelining, Lua scripts by SHA with fallback, optional AUTH and TLS.
//
//   auto client = redis::Client::Connect(options);      // Result<unique_ptr<Client>>
//   auto pong = (*client)->Command({"PING"});             // Result<Reply>
//   auto replies = (*client)->Pipeline({{"LLEN", "a"}, {"LLEN", "b"}});  // one round trip
//
// Failures are values: kUnavailable (refused, reset, closed, TLS failure),
// kTimeout (no answer within the deadline), kUnauthorized (AUTH), kInternal
// (protocol violation, unexpected reply). After a transport failure the
// connection is dropped and the next call reconnects once, within
// connect_timeout; commands themselves are never retried (they may not be
// idempotent). Messages name the endpoint and the command name, never the
// arguments or credentials.
//
// One server: no Redis Cluster redirections (MOVED/ASK come back as errors),
// no RESP3, no pub/sub. Not thread-safe: use one Client per thread (or guard
// it).

#include <memory>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/redis/options.h"
#include "controller/sources/redis/resp.h"

namespace agentfleet::sources::redis {

// A Lua script with its SHA1, computed once; pass it to Client::Eval.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// Maps a server error reply to the project's error model: NOAUTH/WRONGPASS →
// kUnauthorized, NOPERM → kForbidden, LOADING/BUSY/MASTERDOWN/TRYAGAIN/
// CLUSTERDOWN → kUnavailable, NOSCRIPT → kNotFound, anything else → kInternal.
Error ErrorFromReply(const Reply& reply, std::string_view context);

class Client {
 public:
  using Args = std::vector<std::string>;

  // Connects, performs the TLS handshake, AUTH and SELECT, all within
  // options.connect_timeout.
  static Result<std::unique_ptr<Client>> Connect(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One command, one reply. A server error reply becomes an Error.
  Result<Reply> Command(const Args& args);

  // Sends every command, then reads every reply: one round trip within
  // command_timeout. Server error replies stay in the vector (IsError()), one
  // per command, so a caller can tell which command failed.
  Result<std::vector<Reply>> Pipeline(const std::vector<Args>& commands);

  // EVALSHA; on NOSCRIPT (a restarted or flushed server) sends EVAL, which
  // also caches the script again. A server error reply becomes an Error.
  Result<Reply> Eval(const Script& script, const Args& keys, const Args& args);

  bool connected() const;
  const Options& options() const;

 private:
  class Connection;
  explicit Client(Options options);
  Status EnsureConnected();

  Options options_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace agentfleet::sources::redis
