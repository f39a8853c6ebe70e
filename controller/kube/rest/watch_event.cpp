#include "controller/kube/rest/watch_event.h"

namespace agentfleet::kube::rest {

Result<WatchEvent> ParseWatchEvent(std::string_view line, const std::string& what) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return MakeError(ErrorCode::kInternal, what + ": malformed watch event");
  }
  WatchEvent ev;
  ev.type = j["type"].get<std::string>();
  ev.object = std::move(j["object"]);
  return ev;
}

}  // namespace agentfleet::kube::rest
