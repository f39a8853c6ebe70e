#pragma once

// Typed, bounded reads of a JSON document that never throw: the first problem
// is kept as an Error naming the field's path ("spec.autoscaling.maxReplicas"),
// later reads become no-ops returning nothing.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::fleet::api::detail {

using Json = nlohmann::json;

class JsonReader {
 public:
  // A lenient reader records no failure: a bad member reads as absent.
  explicit JsonReader(bool lenient = false) : lenient_(lenient) {}

  void Fail(std::string_view path, std::string_view what);
  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }

  // The member `key` of `parent` when present and not null; a member of the
  // wrong type fails. `required` makes an absent member fail too.
  const Json* Object(const Json& parent, std::string_view path, std::string_view key,
                     bool required = false);
  const Json* Array(const Json& parent, std::string_view path, std::string_view key,
                    size_t max_items, bool required = false);
  std::optional<std::string> String(const Json& parent, std::string_view path, std::string_view key,
                                    size_t max_length, bool required = false);
  std::optional<int64_t> Int(const Json& parent, std::string_view path, std::string_view key,
                             int64_t min, int64_t max, bool required = false);
  std::optional<bool> Bool(const Json& parent, std::string_view path, std::string_view key);

 private:
  const Json* Member(const Json& parent, std::string_view path, std::string_view key,
                     bool required);
  bool lenient_;
  std::optional<Error> error_;
};

// "spec" + "queue" -> "spec.queue"; "" + "spec" -> "spec".
std::string Join(std::string_view path, std::string_view key);
// "spec.template.spec.containers" + 2 -> "spec.template.spec.containers[2]".
std::string Index(std::string_view path, size_t i);

}  // namespace agentfleet::fleet::api::detail
