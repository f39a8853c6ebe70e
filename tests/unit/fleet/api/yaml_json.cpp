#include "tests/unit/fleet/api/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>

namespace agentfleet::testing {
namespace {

using Json = nlohmann::json;

bool IsInt(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// Digits with one '.' and/or an exponent, as YAML 1.2's core schema floats.
bool IsFloat(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  bool has_digit = s.find_first_of("0123456789") != std::string::npos;
  return end == s.c_str() + s.size() && has_digit &&
         s.find_first_not_of("0123456789+-.eE") == std::string::npos;
}

Json Scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsInt(s)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return std::stoull(s);
    }
  }
  if (IsFloat(s)) return std::stod(s);
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

Json ParseYaml(const std::string& text, const std::string& where) {
  try {
    return ToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    std::cerr << where << ": " << e.what() << "\n";
    std::abort();
  }
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
