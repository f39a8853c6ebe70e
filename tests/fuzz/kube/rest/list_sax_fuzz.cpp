// A list response as the API server streams it, parsed one item at a time and
// each item read as the pod informer reads it. Properties: no crash and no
// exception; the items handed over are the objects of "items", in order and
// equal to what a whole-document parse finds; the count matches.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "controller/kube/informer/pod.h"
#include "controller/kube/rest/list_sax.h"
#include "tests/fuzz/fuzz_check.h"

using Json = nlohmann::json;

namespace {

// The objects of the top-level "items" the way a DOM sees them, or false
// when that comparison is not meaningful (not one JSON document, or a
// duplicated top-level "items", where a DOM keeps only the last).
bool ExpectedItems(const std::string& text, std::vector<Json>& out) {
  int items_keys = 0;
  Json::parser_callback_t count = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1 && parsed == "items") ++items_keys;
    return true;
  };
  Json doc = Json::parse(text, count, false);
  if (doc.is_discarded() || items_keys > 1 || !doc.is_object()) return false;
  auto it = doc.find("items");
  if (it == doc.end() || !it->is_array()) return true;
  for (auto& item : *it) {
    if (item.is_object()) out.push_back(std::move(item));
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  std::vector<Json> items;
  auto meta = agentfleet::kube::rest::ParseListStream(in, [&](Json&& item) {
    (void)agentfleet::kube::informer::ToPodRecord(item);
    items.push_back(std::move(item));
  });
  if (!meta.ok()) {
    FUZZ_CHECK(!meta.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(meta->items == items.size());
  std::vector<Json> expected;
  if (ExpectedItems(text, expected)) FUZZ_CHECK(items == expected);
  return 0;
}
