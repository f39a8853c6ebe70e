#pragma once

// Test helper: YAML manifests (the CRD, the examples) as the JSON the API
// server takes. Plain scalars are typed with YAML 1.2's core schema.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentfleet::testing {

// Every document of a YAML file; aborts the test binary when unreadable.
std::vector<nlohmann::json> LoadYamlDocuments(const std::string& path);
// The only document of a YAML file.
nlohmann::json LoadYaml(const std::string& path);
// One YAML document given as text; aborts the test binary when malformed.
nlohmann::json ParseYaml(const std::string& text, const std::string& where);
// A path under the source tree.
std::string SourcePath(const std::string& relative);

}  // namespace agentfleet::testing
