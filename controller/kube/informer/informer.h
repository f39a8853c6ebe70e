#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "controller/kube/informer/reflector.h"
#include "controller/kube/informer/store.h"

namespace agentfleet::kube::informer {

template <Record T>
struct EventHandlers {
  std::function<void(const std::shared_ptr<const T>&)> on_add;
  std::function<void(const std::shared_ptr<const T>& old_obj, const std::shared_ptr<const T>& obj)>
      on_update;
  // For an object deleted while the watch was down, the last state this cache saw.
  std::function<void(const std::shared_ptr<const T>&)> on_delete;
};

// A list-watch cache of compact records: each object is transformed into T the
// moment it arrives and the JSON is dropped. Handlers run on the informer's
// thread and must be quick (they enqueue keys).
template <Record T>
class Informer final : public ReflectorSink {
 public:
  using Ptr = std::shared_ptr<const T>;
  using Transform = std::function<T(const rest::Json&)>;

  Informer(rest::Client& client, rest::Resource resource, Transform transform,
           ReflectorOptions options = {})
      : transform_(std::move(transform)),
        reflector_(client, std::move(resource), std::move(options), *this) {}
  ~Informer() override { Stop(); }

  void AddHandlers(EventHandlers<T> h) {
    std::lock_guard lock(handlers_mu_);
    handlers_.push_back(std::move(h));
  }
  void Start() { reflector_.Start(); }
  void Stop() { reflector_.Stop(); }
  bool HasSynced() const { return reflector_.HasSynced(); }
  bool WaitForSync(std::chrono::milliseconds timeout) { return reflector_.WaitForSync(timeout); }
  Store<T>& store() { return store_; }
  const Store<T>& store() const { return store_; }
  const ReflectorStats& stats() const { return reflector_.stats(); }
  std::string LastResourceVersion() const { return reflector_.LastResourceVersion(); }

  // ReflectorSink: fed by the informer's own reflector (public for benchmarks
  // that replay recorded events).
  void BeginReplace() override { seen_.clear(); }

  void ReplaceItem(const rest::Json& object) override {
    std::string key = meta::ObjectKey(object);
    if (key.empty()) return;
    seen_.emplace(key, true);
    Upsert(key, object);
  }

  void EndReplace() override {
    // Whatever the cache holds that the list lacks was deleted while we were away.
    for (const auto& key : store_.Keys()) {
      if (seen_.count(key) == 0) {
        if (Ptr old = store_.Erase(key)) Dispatch(nullptr, old, true);
      }
    }
    seen_.clear();
  }

  void AbortReplace() override { seen_.clear(); }

  void Apply(const std::string& type, const rest::Json& object) override {
    std::string key = meta::ObjectKey(object);
    if (key.empty()) return;
    if (type == "DELETED") {
      if (Ptr old = store_.Erase(key)) Dispatch(nullptr, old, true);
      return;
    }
    Upsert(key, object);
  }

 private:
  void Upsert(const std::string& key, const rest::Json& object) {
    auto record = std::make_shared<const T>(transform_(object));
    Ptr old = store_.Get(key);
    // A relist re-delivers unchanged objects; they are not updates.
    if (old && old->meta.resource_version == record->meta.resource_version) return;
    store_.Upsert(key, record);
    Dispatch(record, old, false);
  }

  void Dispatch(const Ptr& obj, const Ptr& old, bool deleted) {
    std::lock_guard lock(handlers_mu_);
    for (const auto& h : handlers_) {
      if (deleted) {
        if (h.on_delete) h.on_delete(old);
      } else if (old) {
        if (h.on_update) h.on_update(old, obj);
      } else if (h.on_add) {
        h.on_add(obj);
      }
    }
  }

  Transform transform_;
  Store<T> store_;
  std::unordered_map<std::string, bool> seen_;  // keys seen by the list in progress
  std::mutex handlers_mu_;
  std::vector<EventHandlers<T>> handlers_;
  Reflector reflector_;  // last: its thread stops before the members it uses go
};

}  // namespace agentfleet::kube::informer
