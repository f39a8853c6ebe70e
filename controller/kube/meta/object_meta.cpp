#include "controller/kube/meta/object_meta.h"

#include <algorithm>

#include "controller/kube/meta/json_fields.h"
#include "controller/kube/meta/time.h"

namespace agentfleet::kube::meta {
namespace {

using Json = nlohmann::json;

bool Bool(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const std::string* Find(const std::vector<std::pair<std::string, std::string>>& v,
                        std::string_view key) {
  auto it = std::lower_bound(v.begin(), v.end(), key,
                             [](const auto& kv, std::string_view k) { return kv.first < k; });
  return it != v.end() && it->first == key ? &it->second : nullptr;
}

}  // namespace

const std::string* ObjectMeta::Label(std::string_view key) const {
  return Find(labels, key);
}
const std::string* ObjectMeta::Annotation(std::string_view key) const {
  return Find(annotations, key);
}
const OwnerRef* ObjectMeta::ControllerOwner() const {
  for (const auto& o : owners) {
    if (o.controller) return &o;
  }
  return nullptr;
}

namespace {
bool Keep(const std::string& key, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  for (const auto& p : prefixes) {
    if (key.starts_with(p)) return true;
  }
  return false;
}
}  // namespace

ObjectMeta ParseObjectMeta(const Json& object, const MetaFilter& filter) {
  ObjectMeta m;
  auto mit = object.find("metadata");
  if (mit == object.end() || !mit->is_object()) return m;
  const Json& md = *mit;
  m.name = StringField(md, "name");
  m.namespace_name = StringField(md, "namespace");
  m.uid = StringField(md, "uid");
  m.resource_version = StringField(md, "resourceVersion");
  m.created_unix = ParseUnixSeconds(StringField(md, "creationTimestamp"));
  if (auto g = md.find("generation"); g != md.end() && g->is_number_integer()) {
    m.generation = g->get<int64_t>();
  }
  m.deleting = md.contains("deletionTimestamp") && !md["deletionTimestamp"].is_null();
  if (auto l = md.find("labels"); l != md.end() && l->is_object()) {
    for (auto it = l->begin(); it != l->end(); ++it) {
      if (it->is_string() && Keep(it.key(), filter.label_prefixes)) {
        m.labels.emplace_back(it.key(), it->get<std::string>());
      }
    }
    std::sort(m.labels.begin(), m.labels.end());
  }
  if (auto a = md.find("annotations"); a != md.end() && a->is_object()) {
    for (auto it = a->begin(); it != a->end(); ++it) {
      if (!it->is_string()) continue;
      if (Keep(it.key(), filter.annotation_prefixes)) {
        m.annotations.emplace_back(it.key(), it->get<std::string>());
      }
    }
    std::sort(m.annotations.begin(), m.annotations.end());
  }
  if (auto f = md.find("finalizers"); f != md.end() && f->is_array()) {
    for (const auto& x : *f) {
      if (x.is_string()) m.finalizers.push_back(x.get<std::string>());
    }
  }
  if (auto o = md.find("ownerReferences"); o != md.end() && o->is_array()) {
    for (const auto& x : *o) {
      if (!x.is_object()) continue;
      OwnerRef r{StringField(x, "apiVersion"), StringField(x, "kind"), StringField(x, "name"),
                 StringField(x, "uid"), Bool(x, "controller")};
      if (filter.controller_owner_only && !r.controller) continue;
      m.owners.push_back(std::move(r));
    }
  }
  return m;
}

std::string ObjectKey(const Json& object) {
  auto mit = object.find("metadata");
  if (mit == object.end() || !mit->is_object()) return {};
  std::string ns = StringField(*mit, "namespace"), name = StringField(*mit, "name");
  return ns.empty() ? name : ns + "/" + name;
}

std::pair<std::string, std::string> SplitKey(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

}  // namespace agentfleet::kube::meta
