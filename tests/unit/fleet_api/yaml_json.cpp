#include "tests/unit/fleet_api/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>
#include <regex>

namespace agentfleet::testing {
namespace {

using Json = nlohmann::json;

Json Scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return std::stoull(s);
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

Json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : n) out[kv.first.Scalar()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : n) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      return Scalar(n);
    default:
      return nullptr;
  }
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return std::string(AGENTFLEET_SOURCE_DIR) + "/" + relative;
}

std::vector<Json> LoadYamlDocuments(const std::string& path) {
  std::vector<Json> out;
  try {
    for (const auto& doc : YAML::LoadAllFromFile(path)) {
      if (doc.IsNull()) continue;
      out.push_back(ToJson(doc));
    }
  } catch (const YAML::Exception& e) {
    std::cerr << path << ": " << e.what() << "\n";
    std::abort();
  }
  return out;
}

Json LoadYaml(const std::string& path) {
  auto docs = LoadYamlDocuments(path);
  if (docs.size() != 1) {
    std::cerr << path << ": want one YAML document, got " << docs.size() << "\n";
    std::abort();
  }
  return docs.front();
}

}  // namespace agentfleet::testing
