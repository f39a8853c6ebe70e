#pragma once

// A small HTTP/1.1 server for the operator's own endpoints (/metrics, /healthz,
// /readyz). Keep-alive, concurrent requests on a few threads, GET and HEAD
// only, exact-path routes, an idle timeout against slow clients, and a
// graceful Stop that lets in-flight responses finish.
//
//   auto server = obs::HttpServer::Start({.bind_address = ":8080"},
//                                        obs::MetricsRoutes(registry));
//   if (!server) { log.Error("metrics endpoint", {{"error", server.error()}}); ... }
//   (*server)->port();  // the bound port, useful with ":0"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "controller/base/result.h"

namespace agentfleet::obs {

struct HttpRequest {
  std::string method;  // "GET" or "HEAD"
  std::string path;    // without the query
  std::string query;   // after '?', undecoded; empty when absent
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra response headers
};

// Called concurrently from the server's threads: handlers must be thread-safe.
// An exception from a handler becomes a 500 response.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using HttpRoutes = std::map<std::string, HttpHandler>;  // exact path → handler

struct HttpServerOptions {
  std::string bind_address{};  // see bind_address.h; "0" is refused by Start
  int threads = 2;
  std::chrono::milliseconds idle_timeout{30'000};   // per read of a request
  std::chrono::milliseconds shutdown_grace{5'000};  // Stop waits this long at most
  // Connections beyond this are closed at once, so that a flood of clients
  // cannot take the operator's file descriptors.
  std::size_t max_connections = 64;
};

class HttpServer {
 public:
  // Binds and starts serving. kInvalidArgument for a malformed address,
  // kUnavailable when the address cannot be bound (in use, not local).
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpRoutes routes);

  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when the address asked for port 0).
  std::uint16_t port() const;

  // Stops accepting, closes idle connections, lets requests being served
  // finish (up to shutdown_grace), then joins the threads. Idempotent.
  void Stop();

  struct State;  // implementation detail, public only for the session type

 private:
  explicit HttpServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace agentfleet::obs
