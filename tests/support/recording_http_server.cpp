#include "tests/support/recording_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace agentfleet::testing {

struct RecordingHttpServer::State {
  Script script;
  int listen_fd = -1;
  int port = 0;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<std::string> requests;
  std::vector<int> connections;
  std::vector<std::thread> threads;

  // One connection: requests one after another (keep-alive) until it closes.
  void Serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, size_t(n));
      }
      const std::string head = in.substr(0, end);
      size_t length = 0;
      for (size_t at = head.find("\r\n"); at != std::string::npos;) {
        size_t next = head.find("\r\n", at + 2);
        std::string line = head.substr(at + 2, next == std::string::npos ? next : next - at - 2);
        if (line.size() > 15 && strncasecmp(line.c_str(), "content-length:", 15) == 0) {
          length = std::strtoul(line.c_str() + 15, nullptr, 10);
        }
        at = next;
      }
      while (in.size() < end + 4 + length) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, size_t(n));
      }
      in.erase(0, end + 4 + length);
      const std::string request_line = head.substr(0, head.find("\r\n"));
      const std::string method = request_line.substr(0, request_line.find(' '));
      std::string path = request_line.substr(method.size() + 1);
      path = path.substr(0, path.find(' '));
      path = path.substr(0, path.find('?'));
      {
        std::lock_guard lock(mu);
        requests.push_back(method + " " + path);
      }
      ScriptedReply reply = script(method, path);
      {
        std::unique_lock lock(mu);
        if (cv.wait_for(lock, reply.delay, [this] { return stopping; })) return;
      }
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) +
                        " Scripted\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(reply.body.size()) + "\r\n";
      for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
      out += "\r\n" + reply.body;
      if (write(fd, out.data(), out.size()) != ssize_t(out.size())) return;
    }
  }
};

RecordingHttpServer::RecordingHttpServer(Script script) : state_(std::make_shared<State>()) {
  state_->script = std::move(script);
  state_->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(state_->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(state_->listen_fd, 16) != 0 ||
      getsockname(state_->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("RecordingHttpServer: cannot listen on 127.0.0.1");
  }
  state_->port = ntohs(addr.sin_port);
  acceptor_ = std::thread([state = state_] {
    for (;;) {
      int fd = accept(state->listen_fd, nullptr, nullptr);
      if (fd < 0) return;  // shut down
      std::lock_guard lock(state->mu);
      if (state->stopping) {
        close(fd);
        return;
      }
      state->connections.push_back(fd);
      state->threads.emplace_back([state, fd] { state->Serve(fd); });
    }
  });
}

RecordingHttpServer::~RecordingHttpServer() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    for (int fd : state_->connections) shutdown(fd, SHUT_RDWR);
  }
  state_->cv.notify_all();
  shutdown(state_->listen_fd, SHUT_RDWR);
  acceptor_.join();
  {
    std::lock_guard lock(state_->mu);
    threads = std::move(state_->threads);
  }
  for (auto& t : threads) t.join();
  for (int fd : state_->connections) close(fd);
  close(state_->listen_fd);
}

std::string RecordingHttpServer::url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port);
}

std::vector<std::string> RecordingHttpServer::requests() const {
  std::lock_guard lock(state_->mu);
  return state_->requests;
}

}  // namespace agentfleet::testing
