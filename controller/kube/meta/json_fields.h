#pragma once

// Type-checked reads of an API object's JSON: a malformed object (a field of
// the wrong type, a non-object) yields an empty value, never an exception.

#include <nlohmann/json.hpp>
#include <string>

namespace agentfleet::kube::meta {

// The string member `key` of `j`, or "" when `j` is no object or the member
// is absent or no string.
std::string StringField(const nlohmann::json& j, const char* key);

}  // namespace agentfleet::kube::meta
