#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentfleet::kube::meta {

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool operator==(const OwnerRef&) const = default;
};

// The metadata fields the operator reads, nothing more: caches hold these
// instead of whole JSON documents so memory grows with objects, not with bytes.
struct ObjectMeta {
  std::string name;
  std::string namespace_name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  int64_t created_unix = 0;  // creationTimestamp, seconds since the epoch
  bool deleting = false;     // deletionTimestamp is set
  std::vector<std::pair<std::string, std::string>> labels;       // sorted by key
  std::vector<std::pair<std::string, std::string>> annotations;  // kept prefixes only, sorted
  std::vector<std::string> finalizers;
  std::vector<OwnerRef> owners;

  std::string Key() const { return namespace_name.empty() ? name : namespace_name + "/" + name; }
  const std::string* Label(std::string_view key) const;
  const std::string* Annotation(std::string_view key) const;
  const OwnerRef* ControllerOwner() const;
  bool operator==(const ObjectMeta&) const = default;
};

// Which labels and annotations a cache keeps: those whose key starts with one
// of the prefixes; an empty list keeps all. Owner references: the controller
// owner only, when `controller_owner_only`.
struct MetaFilter {
  std::vector<std::string> label_prefixes;
  std::vector<std::string> annotation_prefixes;
  bool controller_owner_only = false;
};

ObjectMeta ParseObjectMeta(const nlohmann::json& object, const MetaFilter& filter = {});

// "namespace/name" (or "name" for cluster-scoped objects) of a JSON object.
std::string ObjectKey(const nlohmann::json& object);

// Splits "namespace/name"; a key without a slash is cluster-scoped.
std::pair<std::string, std::string> SplitKey(std::string_view key);

}  // namespace agentfleet::kube::meta
