#include "examples/agent/task_message.h"

#include <nlohmann/json.hpp>

namespace agentfleet::agent {
namespace {

using Json = nlohmann::json;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// A string member stays as it is; an integer price becomes its decimal form,
// so that ParseTask applies one set of rules to both.
std::optional<std::string> FieldText(const Json& v, bool number_allowed) {
  if (v.is_string()) return v.get<std::string>();
  if (!number_allowed) return std::nullopt;
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace

Result<TaskMessage> ParseTaskMessage(std::string_view body) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Invalid("task message is not JSON");
  if (!doc.is_object()) return Invalid("task message is not a JSON object");
  std::vector<std::pair<std::string, std::string>> fields;
  for (const char* name : {"task", "product", "price"}) {
    auto it = doc.find(name);
    if (it == doc.end()) continue;
    const bool price = std::string_view(name) == "price";
    auto text = FieldText(*it, price);
    if (!text) {
      return Invalid(std::string("task field ") + name + " must be a string" +
                     (price ? " or an integer" : ""));
    }
    fields.emplace_back(name, std::move(*text));
  }
  auto task = ParseTask(fields);
  if (!task.ok()) return task.error();

  TaskMessage out{std::move(*task), {}, std::nullopt};
  if (auto it = doc.find("version"); it != doc.end()) {
    std::optional<results::TaskVersion> v;
    if (it->is_string()) {
      v = results::ParseTaskVersion(it->get_ref<const std::string&>());
    } else if (it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0)) {
      v = results::TaskVersion{it->get<int64_t>(), 0};
      if (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX) v.reset();
    }
    if (!v || !results::ValidTaskVersion(*v)) {
      return Invalid("task field version must be \"<hi>-<lo>\" or a whole number from 0 to 2^63-1");
    }
    out.version = *v;
  }
  if (auto it = doc.find("enqueued"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return Invalid("task field enqueued must be Unix milliseconds, a whole number");
    }
    out.enqueued =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(it->get<int64_t>()));
  }
  return out;
}

std::string FormatTaskMessage(const Task& task, const results::TaskVersion& version) {
  return Json{{"task", task.id},
              {"product", task.product},
              {"price", task.base_price},
              {"version", results::FormatTaskVersion(version)}}
      .dump();
}

}  // namespace agentfleet::agent
