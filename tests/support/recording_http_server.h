#pragma once

// A local HTTP/1.1 server for the REST client's unit tests: it records every
// request that reaches it ("PUT /apis/..."), so a test can tell that a write
// never left the process, and answers each as a test scripts it, slowly or
// never (a hanging API server).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace agentfleet::testing {

struct ScriptedReply {
  int status = 200;
  std::string body = "{}";
  std::map<std::string, std::string> headers;
  // Waits this long before answering (cut short when the server stops).
  std::chrono::milliseconds delay{0};
};

class RecordingHttpServer {
 public:
  using Script = std::function<ScriptedReply(const std::string& method, const std::string& path)>;

  explicit RecordingHttpServer(Script script);
  ~RecordingHttpServer();  // closes every connection, joins its threads
  RecordingHttpServer(const RecordingHttpServer&) = delete;
  RecordingHttpServer& operator=(const RecordingHttpServer&) = delete;

  // http://127.0.0.1:PORT
  std::string url() const;
  // "METHOD /path" of every request received so far, in order.
  std::vector<std::string> requests() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::thread acceptor_;
};

}  // namespace agentfleet::testing
