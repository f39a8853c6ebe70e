#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "controller/kube/meta/object_meta.h"

namespace agentfleet::kube::informer {

// A cached record: any type with an `ObjectMeta meta` member.
template <typename T>
concept Record = requires(const T& t) {
  { t.meta } -> std::convertible_to<const meta::ObjectMeta&>;
};

// A thread-safe cache of compact records keyed by "namespace/name", with the
// namespace and controller-owner indexes built in and more by name.
template <Record T>
class Store {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;
  static constexpr const char* kNamespaceIndex = "namespace";
  static constexpr const char* kOwnerIndex = "owner";  // the controller owner's uid

  Store() {
    indexes_[kNamespaceIndex].func = [](const T& t) {
      return std::vector<std::string>{t.meta.namespace_name};
    };
    indexes_[kOwnerIndex].func = [](const T& t) {
      const meta::OwnerRef* o = t.meta.ControllerOwner();
      return o ? std::vector<std::string>{o->uid} : std::vector<std::string>{};
    };
  }

  // Adds an index; call before the store is filled.
  void AddIndex(const std::string& name, IndexFunc func) {
    std::unique_lock lock(mu_);
    indexes_[name].func = std::move(func);
  }

  Ptr Get(const std::string& key) const {
    std::shared_lock lock(mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second;
  }

  std::vector<Ptr> List() const {
    std::shared_lock lock(mu_);
    std::vector<Ptr> out;
    out.reserve(items_.size());
    for (const auto& [k, v] : items_) out.push_back(v);
    return out;
  }

  std::vector<Ptr> ByIndex(const std::string& index, const std::string& value) const {
    std::shared_lock lock(mu_);
    std::vector<Ptr> out;
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) return out;
    auto bucket = idx->second.map.find(value);
    if (bucket == idx->second.map.end()) return out;
    for (const std::string* key : bucket->second) {
      if (auto it = items_.find(*key); it != items_.end()) out.push_back(it->second);
    }
    return out;
  }

  std::vector<std::string> Keys() const {
    std::shared_lock lock(mu_);
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const auto& [k, v] : items_) out.push_back(k);
    return out;
  }

  size_t Size() const {
    std::shared_lock lock(mu_);
    return items_.size();
  }

  // Inserts or replaces; returns the previous record, if any.
  Ptr Upsert(const std::string& key, Ptr record) {
    std::unique_lock lock(mu_);
    Ptr old;
    auto it = items_.find(key);
    if (it != items_.end()) {
      old = it->second;
      Unindex(&it->first, *old);
      it->second = record;
    } else {
      it = items_.emplace(key, record).first;
    }
    Index(&it->first, *record);
    return old;
  }

  Ptr Erase(const std::string& key) {
    std::unique_lock lock(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    Ptr old = it->second;
    Unindex(&it->first, *old);
    items_.erase(it);
    return old;
  }

 private:
  // Index buckets point at the keys of items_, whose nodes never move: one
  // copy of each key however many indexes there are.
  struct IndexData {
    IndexFunc func;
    std::unordered_map<std::string, std::unordered_set<const std::string*>> map;
  };
  void Index(const std::string* key, const T& t) {
    for (auto& [name, idx] : indexes_) {
      for (auto& v : idx.func(t)) idx.map[v].insert(key);
    }
  }
  void Unindex(const std::string* key, const T& t) {
    for (auto& [name, idx] : indexes_) {
      for (auto& v : idx.func(t)) {
        auto it = idx.map.find(v);
        if (it == idx.map.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) idx.map.erase(it);
      }
    }
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Ptr> items_;
  std::map<std::string, IndexData> indexes_;
};

}  // namespace agentfleet::kube::informer
