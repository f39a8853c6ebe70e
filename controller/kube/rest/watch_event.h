#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::kube::rest {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

// Decodes one line of a watch response: the API server writes each event as
// one JSON object, {"type":"ADDED","object":{...}}, followed by a newline.
// kInternal, naming `what`, when the line is not such an object.
Result<WatchEvent> ParseWatchEvent(std::string_view line, const std::string& what);

}  // namespace agentfleet::kube::rest
