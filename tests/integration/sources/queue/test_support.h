#pragma once

// Helpers shared by the queue-source integration tests: fixture files, sockets
// that refuse or swallow connections, a scripted HTTP responder, and waiting
// for a depth with a bounded deadline.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/sources/queue/queue_source.h"

namespace agentfleet::sources::queue::testing {

// DIR/<file> of a fixture whose directory is in the environment variable `env`.
inline std::string FixtureFile(const char* env, const std::string& file) {
  const char* dir = std::getenv(env);
  if (dir == nullptr) {
    ADD_FAILURE() << env << " is not set: run this test through ctest (it needs a fixture)";
    return "";
  }
  std::ifstream in(std::string(dir) + "/" + file);
  if (!in) {
    ADD_FAILURE() << "cannot read " << dir << "/" << file;
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

inline std::string FixturePath(const char* env, const std::string& file) {
  const char* dir = std::getenv(env);
  return dir == nullptr ? "" : std::string(dir) + "/" + file;
}

// Something unique per run, so that a leak can only come from this run.
inline std::string UniqueToken(const std::string& prefix) {
  std::random_device rd;
  std::ostringstream os;
  os << prefix << "-" << std::hex << rd() << rd();
  return os.str();
}

inline int ListenOnLoopback(int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, backlog) != 0) {
    ADD_FAILURE() << "cannot listen on 127.0.0.1";
  }
  return fd;
}

inline uint16_t PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A loopback port with nothing listening: connections are refused.
inline uint16_t ClosedPort() {
  int fd = ListenOnLoopback(1);
  const uint16_t port = PortOf(fd);
  ::close(fd);
  return port;
}

// Accepts TCP connections (the kernel completes the handshake) and never
// reads or answers: the worst kind of unreachable.
class BlackHole {
 public:
  BlackHole() : fd_(ListenOnLoopback(64)) {}
  ~BlackHole() { ::close(fd_); }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  uint16_t port() const { return PortOf(fd_); }

 private:
  int fd_;
};

// Answers every HTTP request with what `respond` makes of the raw request
// (request line, headers and body): for status codes and bodies that the real
// servers in these tests never produce, such as a 403 that echoes the request.
class ScriptedHttpServer {
 public:
  struct Reply {
    int status;
    std::string body;
    std::string content_type = "application/json";
  };
  using Responder = std::function<Reply(const std::string& raw_request)>;

  explicit ScriptedHttpServer(Responder respond)
      : fd_(ListenOnLoopback(16)), respond_(std::move(respond)), thread_([this] { Serve(); }) {}
  ~ScriptedHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  uint16_t port() const { return PortOf(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string raw = ReadRequest(c);
      Reply reply = respond_(raw);
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                        " Scripted\r\nContent-Type: " + reply.content_type +
                        "\r\nContent-Length: " + std::to_string(reply.body.size()) +
                        "\r\nConnection: close\r\n\r\n" + reply.body;
      (void)!::write(c, out.data(), out.size());
      ::close(c);
    }
  }

  static std::string ReadRequest(int c) {
    std::string raw;
    char buf[4096];
    size_t want = std::string::npos;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
      const size_t end = raw.find("\r\n\r\n");
      if (end != std::string::npos && want == std::string::npos) {
        size_t length = 0;
        std::string lower = raw.substr(0, end);
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const size_t cl = lower.find("content-length:");
        if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
        want = end + 4 + length;
      }
      if (want != std::string::npos && raw.size() >= want) break;
    }
    return raw;
  }

  int fd_;
  Responder respond_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Reads until the depth equals `want` or `within` passes; returns the last
// reading. Broker statistics lag, so tests wait for a value, never sleep.
inline Result<QueueDepth> WaitForDepth(QueueSource& source, int64_t want,
                                       std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    auto d = source.ReadDepth();
    if ((d.ok() && d->total == want) || std::chrono::steady_clock::now() > deadline) return d;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Asserts that no secret, nor any 10-character piece of one (a message cut
// short can leak half a secret), appears in the message.
inline void ExpectNoSecret(const Error& error, const std::vector<std::string>& secrets) {
  constexpr size_t kPiece = 10;
  for (const auto& s : secrets) {
    ASSERT_GE(s.size(), kPiece) << "planted secrets must be long enough to recognise";
    for (size_t i = 0; i + kPiece <= s.size(); ++i) {
      if (error.message.find(s.substr(i, kPiece)) != std::string::npos) {
        ADD_FAILURE() << "a credential (or part of one: " << s.substr(i, kPiece)
                      << ") leaked into an error: " << error.ToString();
        return;
      }
    }
  }
}

// Reads once, timing the call; the reading must fail with `code` within
// `timeout` plus `margin`.
inline Error ExpectFailureWithin(
    QueueSource& source, ErrorCode code, std::chrono::milliseconds timeout,
    std::chrono::milliseconds margin = std::chrono::milliseconds(750)) {
  const auto start = std::chrono::steady_clock::now();
  auto d = source.ReadDepth();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  EXPECT_LT(elapsed, timeout + margin) << source.Describe();
  if (d.ok()) {
    ADD_FAILURE() << source.Describe() << " answered " << d->total << ", expected an error";
    return MakeError(ErrorCode::kInternal, "unexpected success");
  }
  EXPECT_EQ(d.error().code, code) << d.error().ToString();
  return d.error();
}

}  // namespace agentfleet::sources::queue::testing
