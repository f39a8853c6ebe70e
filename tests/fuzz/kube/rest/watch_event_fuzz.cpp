// A watch response: one JSON event per line, each object read as the pod
// informer reads it. Properties: no crash and no exception; an event is
// accepted exactly when its line is a JSON object with a string "type".
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "controller/kube/informer/pod.h"
#include "controller/kube/meta/object_meta.h"
#include "controller/kube/rest/watch_event.h"
#include "tests/fuzz/fuzz_check.h"

using Json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (!stream.empty()) {
    const size_t nl = stream.find('\n');
    std::string_view line = stream.substr(0, nl);
    stream.remove_prefix(nl == std::string_view::npos ? stream.size() : nl + 1);
    if (line.empty()) continue;
    auto ev = agentfleet::kube::rest::ParseWatchEvent(line, "watch pods");
    const Json j = Json::parse(line, nullptr, false);
    const bool valid =
        !j.is_discarded() && j.is_object() && j.contains("type") && j["type"].is_string();
    FUZZ_CHECK(ev.ok() == valid);
    if (!ev.ok()) continue;
    FUZZ_CHECK(ev->type == j["type"].get<std::string>());
    (void)agentfleet::kube::informer::ToPodRecord(ev->object);
    (void)agentfleet::kube::meta::ObjectKey(ev->object);
  }
  return 0;
}
