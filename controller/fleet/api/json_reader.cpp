#include "controller/fleet/api/json_reader.h"

#include <limits>

namespace agentfleet::fleet::api::detail {

std::string Join(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

void JsonReader::Fail(std::string_view path, std::string_view what) {
  if (error_ || lenient_) return;
  error_ = MakeError(ErrorCode::kInvalidArgument, std::string(path) + ": " + std::string(what));
}

const Json* JsonReader::Member(const Json& parent, std::string_view path, std::string_view key,
                               bool required) {
  if (error_ || !parent.is_object()) return nullptr;
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) {
    if (required) Fail(Join(path, key), "Required value");
    return nullptr;
  }
  return &*it;
}

const Json* JsonReader::Object(const Json& parent, std::string_view path, std::string_view key,
                               bool required) {
  const Json* v = Member(parent, path, key, required);
  if (v != nullptr && !v->is_object()) {
    Fail(Join(path, key), "must be an object");
    return nullptr;
  }
  return v;
}

const Json* JsonReader::Array(const Json& parent, std::string_view path, std::string_view key,
                              size_t max_items, bool required) {
  const Json* v = Member(parent, path, key, required);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    Fail(Join(path, key), "must be a list");
    return nullptr;
  }
  if (v->size() > max_items) {
    Fail(Join(path, key), "must have at most " + std::to_string(max_items) + " items");
    return nullptr;
  }
  return v;
}

std::optional<std::string> JsonReader::String(const Json& parent, std::string_view path,
                                              std::string_view key, size_t max_length,
                                              bool required) {
  const Json* v = Member(parent, path, key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Fail(Join(path, key), "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_length) {
    Fail(Join(path, key), "may not be longer than " + std::to_string(max_length));
    return std::nullopt;
  }
  if (required && s.empty()) {
    Fail(Join(path, key), "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> JsonReader::Int(const Json& parent, std::string_view path,
                                       std::string_view key, int64_t min, int64_t max,
                                       bool required) {
  const Json* v = Member(parent, path, key, required);
  if (v == nullptr) return std::nullopt;
  int64_t n = 0;
  if (v->is_number_unsigned()) {
    auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Fail(Join(path, key), "is out of range");
      return std::nullopt;
    }
    n = static_cast<int64_t>(u);
  } else if (v->is_number_integer()) {
    n = v->get<int64_t>();
  } else {
    Fail(Join(path, key), "must be an integer");
    return std::nullopt;
  }
  if (n < min || n > max) {
    Fail(Join(path, key), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                              ", got " + std::to_string(n));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> JsonReader::Bool(const Json& parent, std::string_view path,
                                     std::string_view key) {
  const Json* v = Member(parent, path, key, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Fail(Join(path, key), "must be a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

}  // namespace agentfleet::fleet::api::detail
