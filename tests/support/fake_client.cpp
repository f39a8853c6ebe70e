#include "tests/support/fake_client.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include "controller/kube/meta/time.h"

namespace agentfleet::testing {
namespace {

using kube::rest::Json;

// Resources whose status is written only through /status.
bool HasStatusSubresource(const kube::rest::Resource& r) {
  return r.resource == "pods" || r.resource == "pricingagentfleets";
}

std::string Coordinates(const kube::rest::Resource& r, const std::string& ns,
                        const std::string& name) {
  return r.resource + " " + (ns.empty() ? "" : ns + "/") + name;
}

Error StatusError(int code, const std::string& reason, const std::string& message,
                  const std::string& what) {
  Json body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
               {"reason", reason}, {"code", code},       {"message", message}};
  return kube::rest::ApiError(code, body.dump(), what);
}

Error NotFound(const kube::rest::Resource& r, const std::string& name, const std::string& what) {
  return StatusError(404, "NotFound", r.resource + " \"" + name + "\" not found", what);
}

// The object without metadata and status: what a generation counts.
Json SpecPart(const Json& object) {
  Json out = object;
  if (out.is_object()) {
    out.erase("metadata");
    out.erase("status");
  }
  return out;
}

const Json& Meta(const Json& object) {
  static const Json empty = Json::object();
  return object.contains("metadata") && object["metadata"].is_object() ? object["metadata"] : empty;
}

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> Requirements(const std::string& selector) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!Trim(cur).empty()) out.push_back(Trim(cur));
  return out;
}

std::set<std::string> ValueSet(const std::string& text) {
  std::set<std::string> out;
  const auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return out;
  std::stringstream in(text.substr(open + 1, close - open - 1));
  for (std::string v; std::getline(in, v, ',');) out.insert(Trim(v));
  return out;
}

bool MatchesRequirement(const Json& labels, const std::string& req) {
  auto value = [&](const std::string& k) -> std::optional<std::string> {
    if (labels.is_object() && labels.contains(k) && labels[k].is_string()) {
      return labels[k].get<std::string>();
    }
    return std::nullopt;
  };
  if (auto p = req.find(" notin "); p != std::string::npos) {
    auto v = value(Trim(req.substr(0, p)));
    return !v || ValueSet(req.substr(p)).count(*v) == 0;
  }
  if (auto p = req.find(" in "); p != std::string::npos) {
    auto v = value(Trim(req.substr(0, p)));
    return v && ValueSet(req.substr(p)).count(*v) > 0;
  }
  if (auto p = req.find("!="); p != std::string::npos) {
    auto v = value(Trim(req.substr(0, p)));
    return !v || *v != Trim(req.substr(p + 2));
  }
  if (auto p = req.find('='); p != std::string::npos) {
    const size_t skip = req.compare(p, 2, "==") == 0 ? 2 : 1;
    auto v = value(Trim(req.substr(0, p)));
    return v && *v == Trim(req.substr(p + skip));
  }
  if (!req.empty() && req[0] == '!') return !value(Trim(req.substr(1)));
  return value(req).has_value();
}

bool MatchesFieldSelector(const Json& object, const std::string& selector) {
  for (const auto& req : Requirements(selector)) {
    const auto p = req.find('=');
    if (p == std::string::npos) continue;
    const std::string field = Trim(req.substr(0, p));
    const std::string want = Trim(req.substr(req.compare(p, 2, "==") == 0 ? p + 2 : p + 1));
    if (field == "metadata.name" && Meta(object).value("name", "") != want) return false;
    if (field == "metadata.namespace" && Meta(object).value("namespace", "") != want) return false;
  }
  return true;
}

}  // namespace

bool MatchesLabelSelector(const Json& labels, const std::string& selector) {
  for (const auto& req : Requirements(selector)) {
    if (!MatchesRequirement(labels, req)) return false;
  }
  return true;
}

std::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kGet:
      return "GET";
    case Verb::kList:
      return "LIST";
    case Verb::kCreate:
      return "CREATE";
    case Verb::kUpdate:
      return "UPDATE";
    case Verb::kPatch:
      return "PATCH";
    case Verb::kDelete:
      return "DELETE";
    case Verb::kWatch:
      return "WATCH";
  }
  return "?";
}

struct FakeClient::Watcher {
  std::string prefix;  // "<group>/<resource>/" plus "<ns>/" for one namespace
  std::string label_selector, field_selector;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<kube::rest::WatchEvent> events;
  bool cancelled = false;

  void Push(kube::rest::WatchEvent e) {
    {
      std::lock_guard lock(mu);
      events.push_back(std::move(e));
    }
    cv.notify_all();
  }
};

namespace {

class FakeWatch final : public kube::rest::WatchStream {
 public:
  FakeWatch(std::shared_ptr<void> watcher_owner, std::mutex& mu, std::condition_variable& cv,
            std::deque<kube::rest::WatchEvent>& events, bool& cancelled,
            std::chrono::seconds timeout)
      : owner_(std::move(watcher_owner)),
        mu_(mu),
        cv_(cv),
        events_(events),
        cancelled_(cancelled),
        deadline_(std::chrono::steady_clock::now() + timeout) {}
  ~FakeWatch() override { Cancel(); }

  Result<std::optional<kube::rest::WatchEvent>> Next() override {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, deadline_, [&] { return cancelled_ || !events_.empty(); });
    if (cancelled_ || events_.empty()) return std::optional<kube::rest::WatchEvent>();
    kube::rest::WatchEvent e = std::move(events_.front());
    events_.pop_front();
    return std::optional<kube::rest::WatchEvent>(std::move(e));
  }
  void Cancel() override {
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::shared_ptr<void> owner_;
  std::mutex& mu_;
  std::condition_variable& cv_;
  std::deque<kube::rest::WatchEvent>& events_;
  bool& cancelled_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

FakeClient::FakeClient(const Clock& clock)
    : kube::rest::Client(kube::config::RestConfig{}), clock_(clock) {}

FakeClient::~FakeClient() {
  std::lock_guard lock(mu_);
  for (auto& w : watchers_) {
    std::lock_guard wl(w->mu);
    w->cancelled = true;
    w->cv.notify_all();
  }
}

FakeClient::Key FakeClient::KeyOf(const kube::rest::Resource& r, const std::string& ns,
                                  const std::string& name) {
  return r.group + "/" + r.resource + "/" + (r.namespaced ? ns : "") + "/" + name;
}

std::string FakeClient::NextVersion() {
  return std::to_string(++version_);
}

void FakeClient::AddFault(FaultRule rule) {
  std::lock_guard lock(mu_);
  faults_.push_back(std::make_shared<FaultRule>(std::move(rule)));
}

void FakeClient::FailNext(Verb verb, const std::string& resource, Error error, int times) {
  auto left = std::make_shared<int>(times);
  AddFault([=](const Call& c) -> std::optional<Error> {
    if (c.verb != verb || (!resource.empty() && c.resource != resource) || *left <= 0) {
      return std::nullopt;
    }
    --*left;
    return error;
  });
}

void FakeClient::ClearFaults() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

void FakeClient::SetLatency(Verb verb, std::chrono::milliseconds latency) {
  std::lock_guard lock(mu_);
  latency_[verb] = latency;
}

std::vector<Call> FakeClient::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t FakeClient::CountCalls(Verb verb, const std::string& resource,
                              const std::string& subresource) const {
  std::lock_guard lock(mu_);
  return std::count_if(calls_.begin(), calls_.end(), [&](const Call& c) {
    return c.verb == verb && (resource.empty() || c.resource == resource) &&
           (subresource.empty() || c.subresource == subresource);
  });
}

size_t FakeClient::CountWrites() const {
  std::lock_guard lock(mu_);
  return std::count_if(calls_.begin(), calls_.end(), [](const Call& c) { return c.IsWrite(); });
}

void FakeClient::ClearCalls() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

std::optional<Error> FakeClient::Enter(const Call& call) {
  std::chrono::milliseconds delay{0};
  std::vector<std::shared_ptr<FaultRule>> rules;
  {
    std::lock_guard lock(mu_);
    calls_.push_back(call);
    if (auto it = latency_.find(call.verb); it != latency_.end()) delay = it->second;
    rules = faults_;
  }
  if (delay.count() > 0) {
    // A call bounded by a ScopedDeadline gives up there, as the real client does.
    const auto until = std::chrono::steady_clock::now() + delay;
    const auto deadline = kube::rest::ScopedDeadline::Current();
    if (deadline && *deadline < until) {
      std::this_thread::sleep_until(*deadline);
      return MakeError(ErrorCode::kTimeout, std::string(VerbName(call.verb)) + " " + call.resource +
                                                ": deadline exceeded");
    }
    std::this_thread::sleep_until(until);
  }
  for (const auto& rule : rules) {
    if (auto e = (*rule)(call)) return e;
  }
  return std::nullopt;
}

Json FakeClient::Stamp(Json object, const kube::rest::Resource& r, const std::string& ns) {
  Json& meta = object["metadata"];
  if (r.namespaced) meta["namespace"] = ns;
  meta["uid"] = "uid-" + std::to_string(++uids_);
  meta["creationTimestamp"] = kube::meta::FormatTime(clock_.WallNow());
  meta["generation"] = 1;
  meta["resourceVersion"] = NextVersion();
  if (object.value("apiVersion", "").empty()) object["apiVersion"] = r.ApiVersion();
  return object;
}

void FakeClient::Notify(const kube::rest::Resource& r, const std::string& type,
                        const Json& object) {
  const std::string ns = Meta(object).value("namespace", "");
  const std::string name = Meta(object).value("name", "");
  const Key key = KeyOf(r, ns, name);
  for (auto& w : watchers_) {
    if (key.rfind(w->prefix, 0) != 0) continue;
    const Json labels = Meta(object).value("labels", Json::object());
    if (!MatchesLabelSelector(labels, w->label_selector)) continue;
    if (!MatchesFieldSelector(object, w->field_selector)) continue;
    w->Push({type, object});
  }
}

void FakeClient::RemoveLocked(const kube::rest::Resource& r, const Key& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  Json gone = std::move(it->second);
  objects_.erase(it);
  gone["metadata"]["resourceVersion"] = NextVersion();
  Notify(r, "DELETED", gone);
}

// Applies the server's rules to a write of `after` over `before` and stores it.
Result<Json> FakeClient::Store(const kube::rest::Resource& r, const std::string& ns,
                               const Json& before, Json after, const std::string& subresource) {
  const std::string name = Meta(before).value("name", "");
  const std::string what = "WRITE " + Coordinates(r, ns, name);
  const std::string sent_rv = Meta(after).value("resourceVersion", "");
  if (!sent_rv.empty() && sent_rv != Meta(before).value("resourceVersion", "")) {
    return StatusError(409, "Conflict",
                       "Operation cannot be fulfilled on " + r.resource + " \"" + name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again",
                       what);
  }
  if (HasStatusSubresource(r)) {
    if (subresource == "status") {
      Json status = after.value("status", Json());
      after = before;
      if (status.is_null()) {
        after.erase("status");
      } else {
        after["status"] = std::move(status);
      }
    } else if (before.contains("status")) {
      after["status"] = before["status"];
    } else {
      after.erase("status");
    }
  }
  // Identity and server-owned fields are never taken from the request.
  Json& meta = after["metadata"];
  for (const char* field :
       {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "generation"}) {
    if (Meta(before).contains(field)) {
      meta[field] = Meta(before)[field];
    } else {
      meta.erase(field);
    }
  }
  if (SpecPart(after) != SpecPart(before)) {
    meta["generation"] = Meta(before).value("generation", int64_t{1}) + 1;
  }
  if (after == before) return after;  // a no-op write keeps the version, as the server does
  meta["resourceVersion"] = NextVersion();
  const Key key = KeyOf(r, ns, name);
  const bool finalizers_gone =
      !meta.contains("finalizers") || !meta["finalizers"].is_array() || meta["finalizers"].empty();
  if (meta.contains("deletionTimestamp") && finalizers_gone) {
    objects_[key] = after;
    RemoveLocked(r, key);
    return after;
  }
  objects_[key] = after;
  Notify(r, "MODIFIED", after);
  return after;
}

Result<Json> FakeClient::Get(const kube::rest::Resource& r, const std::string& ns,
                             const std::string& name, const std::string& subresource) {
  if (auto e = Enter({Verb::kGet, r.resource, ns, name, subresource})) return *e;
  std::lock_guard lock(mu_);
  auto it = objects_.find(KeyOf(r, ns, name));
  if (it == objects_.end()) return NotFound(r, name, "GET " + Coordinates(r, ns, name));
  return it->second;
}

Result<kube::rest::ListPage> FakeClient::List(const kube::rest::Resource& r, const std::string& ns,
                                              const kube::rest::ListOptions& options) {
  kube::rest::ListPage page;
  auto meta = ListEach(r, ns, options, [&](Json&& item) { page.items.push_back(std::move(item)); });
  if (!meta) return meta.error();
  page.resource_version = meta->resource_version;
  return page;
}

Result<kube::rest::ListMeta> FakeClient::ListEach(const kube::rest::Resource& r,
                                                  const std::string& ns,
                                                  const kube::rest::ListOptions& options,
                                                  const std::function<void(Json&& item)>& on_item) {
  if (auto e = Enter({Verb::kList, r.resource, ns, "", ""})) return *e;
  std::vector<Json> items;
  kube::rest::ListMeta meta;
  {
    std::lock_guard lock(mu_);
    const std::string prefix = r.group + "/" + r.resource + "/" + (r.namespaced ? ns : "");
    for (const auto& [key, object] : objects_) {
      if (key.rfind(prefix, 0) != 0) continue;
      if (!ns.empty() && key.compare(prefix.size(), 1, "/") != 0) continue;
      if (!MatchesLabelSelector(Meta(object).value("labels", Json::object()),
                                options.label_selector) ||
          !MatchesFieldSelector(object, options.field_selector)) {
        continue;
      }
      items.push_back(object);
    }
    meta.resource_version = std::to_string(version_);
  }
  meta.items = items.size();
  for (auto& item : items) on_item(std::move(item));
  return meta;
}

Result<Json> FakeClient::Create(const kube::rest::Resource& r, const std::string& ns,
                                const Json& body, const kube::rest::WriteOptions& options) {
  std::string name = Meta(body).value("name", "");
  if (auto e = Enter({Verb::kCreate, r.resource, ns, name, options.subresource})) return *e;
  std::lock_guard lock(mu_);
  const std::string what = "POST " + Coordinates(r, ns, name);
  if (name.empty()) {
    const std::string generate = Meta(body).value("generateName", "");
    if (generate.empty()) {
      return StatusError(422, "Invalid", "metadata.name: Required value: name or generateName",
                         what);
    }
    name = generate + std::to_string(++uids_);
  }
  const std::string body_ns = Meta(body).value("namespace", "");
  if (r.namespaced && !body_ns.empty() && body_ns != ns) {
    return StatusError(400, "BadRequest",
                       "the namespace of the provided object does not match the namespace sent "
                       "on the request",
                       what);
  }
  const Key key = KeyOf(r, ns, name);
  if (objects_.count(key) > 0) {
    return StatusError(409, "AlreadyExists", r.resource + " \"" + name + "\" already exists", what);
  }
  Json object = body;
  object["metadata"]["name"] = name;
  object["metadata"].erase("resourceVersion");
  if (r.resource == "pods") {
    object["status"] = {{"phase", "Pending"}};
  } else if (HasStatusSubresource(r)) {
    object.erase("status");
  }
  object = Stamp(std::move(object), r, ns);
  if (options.dry_run) return object;
  objects_[key] = object;
  Notify(r, "ADDED", object);
  if (pad_create_answers_ > 0) object["padding"] = std::string(pad_create_answers_, 'x');
  return object;
}

Result<Json> FakeClient::Update(const kube::rest::Resource& r, const std::string& ns,
                                const Json& body, const kube::rest::WriteOptions& options) {
  const std::string name = Meta(body).value("name", "");
  if (auto e = Enter({Verb::kUpdate, r.resource, ns, name, options.subresource})) return *e;
  std::lock_guard lock(mu_);
  auto it = objects_.find(KeyOf(r, ns, name));
  if (it == objects_.end()) return NotFound(r, name, "PUT " + Coordinates(r, ns, name));
  if (options.dry_run) return body;
  return Store(r, ns, it->second, body, options.subresource);
}

Result<Json> FakeClient::Patch(const kube::rest::Resource& r, const std::string& ns,
                               const std::string& name, kube::rest::PatchType type,
                               const Json& patch, const kube::rest::PatchOptions& options) {
  if (auto e = Enter({Verb::kPatch, r.resource, ns, name, options.subresource})) return *e;
  std::lock_guard lock(mu_);
  const std::string what = "PATCH " + Coordinates(r, ns, name);
  auto it = objects_.find(KeyOf(r, ns, name));
  if (it == objects_.end()) return NotFound(r, name, what);
  Json after = it->second;
  // The version the patch was computed against: a merge patch naming one is
  // a precondition; a JSON patch may test or replace it.
  after["metadata"].erase("resourceVersion");
  if (type == kube::rest::PatchType::kJsonPatch) {
    after["metadata"]["resourceVersion"] = Meta(it->second).value("resourceVersion", "");
    try {
      after = after.patch(patch);
    } catch (const std::exception& e) {
      return StatusError(422, "Invalid",
                         std::string("the JSON patch cannot be applied: ") + e.what(), what);
    }
  } else {
    after.merge_patch(patch);
  }
  if (options.dry_run) return after;
  return Store(r, ns, it->second, std::move(after), options.subresource);
}

Status FakeClient::Delete(const kube::rest::Resource& r, const std::string& ns,
                          const std::string& name, const kube::rest::DeleteOptions& options) {
  if (auto e = Enter({Verb::kDelete, r.resource, ns, name, ""})) return *e;
  std::lock_guard lock(mu_);
  const std::string what = "DELETE " + Coordinates(r, ns, name);
  const Key key = KeyOf(r, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(r, name, what);
  const Json& meta = Meta(it->second);
  if (options.precondition_uid && *options.precondition_uid != meta.value("uid", "")) {
    return StatusError(409, "Conflict",
                       "Precondition failed: UID in precondition: " + *options.precondition_uid +
                           ", UID in object meta: " + meta.value("uid", ""),
                       what);
  }
  if (options.precondition_resource_version &&
      *options.precondition_resource_version != meta.value("resourceVersion", "")) {
    return StatusError(409, "Conflict",
                       "Precondition failed: ResourceVersion in precondition: " +
                           *options.precondition_resource_version,
                       what);
  }
  if (options.dry_run) return Ok{};
  const bool has_finalizers =
      meta.contains("finalizers") && meta["finalizers"].is_array() && !meta["finalizers"].empty();
  if (!has_finalizers) {
    RemoveLocked(r, key);
    return Ok{};
  }
  if (!meta.contains("deletionTimestamp")) {
    Json& object = it->second;
    object["metadata"]["deletionTimestamp"] = kube::meta::FormatTime(clock_.WallNow());
    object["metadata"]["deletionGracePeriodSeconds"] = 0;
    object["metadata"]["resourceVersion"] = NextVersion();
    Notify(r, "MODIFIED", object);
  }
  return Ok{};
}

Result<std::unique_ptr<kube::rest::WatchStream>> FakeClient::Watch(
    const kube::rest::Resource& r, const std::string& ns, const kube::rest::WatchOptions& options) {
  if (auto e = Enter({Verb::kWatch, r.resource, ns, "", ""})) return *e;
  auto w = std::make_shared<Watcher>();
  w->prefix = r.group + "/" + r.resource + "/" + (r.namespaced && !ns.empty() ? ns + "/" : "");
  w->label_selector = options.label_selector;
  w->field_selector = options.field_selector;
  {
    std::lock_guard lock(mu_);
    // No history is kept: a watch from an older version than the newest
    // starts with what exists now, as a relist would give it.
    if (options.resource_version.empty() || options.resource_version == "0" ||
        options.resource_version != std::to_string(version_)) {
      for (const auto& [key, object] : objects_) {
        if (key.rfind(w->prefix, 0) != 0) continue;
        if (!MatchesLabelSelector(Meta(object).value("labels", Json::object()),
                                  w->label_selector)) {
          continue;
        }
        w->events.push_back({"ADDED", object});
      }
    }
    watchers_.push_back(w);
  }
  auto timeout = std::chrono::seconds(options.timeout_seconds > 0 ? options.timeout_seconds : 300);
  return std::unique_ptr<kube::rest::WatchStream>(
      std::make_unique<FakeWatch>(w, w->mu, w->cv, w->events, w->cancelled, timeout));
}

std::optional<Json> FakeClient::Peek(const kube::rest::Resource& r, const std::string& ns,
                                     const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(KeyOf(r, ns, name));
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> FakeClient::PeekAll(const kube::rest::Resource& r, const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<Json> out;
  const std::string prefix = r.group + "/" + r.resource + "/" + (ns.empty() ? "" : ns + "/");
  for (const auto& [key, object] : objects_) {
    if (key.rfind(prefix, 0) == 0) out.push_back(object);
  }
  return out;
}

Json FakeClient::Put(const kube::rest::Resource& r, const Json& object) {
  std::lock_guard lock(mu_);
  const std::string ns = Meta(object).value("namespace", "");
  const std::string name = Meta(object).value("name", "");
  const Key key = KeyOf(r, ns, name);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    Json stored = Stamp(object, r, ns);
    objects_[key] = stored;
    Notify(r, "ADDED", stored);
    return stored;
  }
  Json stored = object;
  for (const char* field : {"uid", "creationTimestamp"}) {
    if (!Meta(stored).contains(field)) stored["metadata"][field] = Meta(it->second)[field];
  }
  if (!Meta(stored).contains("generation")) {
    stored["metadata"]["generation"] = Meta(it->second).value("generation", int64_t{1}) +
                                       (SpecPart(stored) != SpecPart(it->second) ? 1 : 0);
  }
  stored["metadata"]["resourceVersion"] = NextVersion();
  it->second = stored;
  Notify(r, "MODIFIED", stored);
  return stored;
}

void FakeClient::Remove(const kube::rest::Resource& r, const std::string& ns,
                        const std::string& name) {
  std::lock_guard lock(mu_);
  RemoveLocked(r, KeyOf(r, ns, name));
}

}  // namespace agentfleet::testing
