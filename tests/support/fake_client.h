#pragma once

// An in-memory kube::rest::Client for the unit tier, in the spirit of
// controller-runtime's pkg/client/fake: objects get a uid, a resourceVersion
// from one counter, a generation that moves with the spec and a
// creationTimestamp; an Update or a merge patch carrying a stale
// resourceVersion gets 409 Conflict; Delete honours uid and resourceVersion
// preconditions and finalizers (deletionTimestamp first, removal once the last
// finalizer goes); Pods and PricingAgentFleets have a status subresource (a
// write to the object keeps the stored status, a write to /status changes
// only the status). Errors are built by kube::rest::ApiError from a Status body, so
// callers see the codes, reasons and messages the real client produces.
//
// What it does not do: admission (schema, CEL, defaults), strategic merge
// (treated as a JSON merge patch), server-side apply (likewise), field
// selectors other than metadata.name, garbage collection of dependents.
//
// Every call is recorded (verb, resource, namespace, name, subresource), and
// per-verb faults and latency can be injected.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/base/clock.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::testing {

enum class Verb { kGet, kList, kCreate, kUpdate, kPatch, kDelete, kWatch };
std::string_view VerbName(Verb verb);

struct Call {
  Verb verb = Verb::kGet;
  std::string resource;  // plural, e.g. "pods"
  std::string ns;
  std::string name;
  std::string subresource;
  bool IsWrite() const {
    return verb == Verb::kCreate || verb == Verb::kUpdate || verb == Verb::kPatch ||
           verb == Verb::kDelete;
  }
};

// Decides whether a call fails: return an Error to fail it (nothing is
// changed), nullopt to let it through. A rule may keep state (it is called,
// never copied); calls from several threads call it concurrently.
using FaultRule = std::function<std::optional<Error>(const Call&)>;

class FakeClient final : public kube::rest::Client {
 public:
  // `clock` stamps creationTimestamp and deletionTimestamp; it must outlive
  // the client.
  explicit FakeClient(const Clock& clock = RealClock::Instance());
  ~FakeClient() override;

  Result<kube::rest::Json> Get(const kube::rest::Resource& r, const std::string& ns,
                               const std::string& name,
                               const std::string& subresource = {}) override;
  Result<kube::rest::ListPage> List(const kube::rest::Resource& r, const std::string& ns,
                                    const kube::rest::ListOptions& options = {}) override;
  Result<kube::rest::ListMeta> ListEach(
      const kube::rest::Resource& r, const std::string& ns, const kube::rest::ListOptions& options,
      const std::function<void(kube::rest::Json&& item)>& on_item) override;
  Result<kube::rest::Json> Create(const kube::rest::Resource& r, const std::string& ns,
                                  const kube::rest::Json& body,
                                  const kube::rest::WriteOptions& options = {}) override;
  Result<kube::rest::Json> Update(const kube::rest::Resource& r, const std::string& ns,
                                  const kube::rest::Json& body,
                                  const kube::rest::WriteOptions& options = {}) override;
  Result<kube::rest::Json> Patch(const kube::rest::Resource& r, const std::string& ns,
                                 const std::string& name, kube::rest::PatchType type,
                                 const kube::rest::Json& patch,
                                 const kube::rest::PatchOptions& options = {}) override;
  Status Delete(const kube::rest::Resource& r, const std::string& ns, const std::string& name,
                const kube::rest::DeleteOptions& options = {}) override;
  Result<std::unique_ptr<kube::rest::WatchStream>> Watch(
      const kube::rest::Resource& r, const std::string& ns,
      const kube::rest::WatchOptions& options) override;

  // Faults: every rule sees every call, in the order added; the first Error
  // returned fails the call. FailNext fails the next `times` calls of `verb`
  // on `resource` (any resource when empty) with `error`.
  void AddFault(FaultRule rule);
  void FailNext(Verb verb, const std::string& resource, Error error, int times = 1);
  void ClearFaults();
  // Each call of `verb` sleeps this long (real time) before it is served; a
  // call under a kube::rest::ScopedDeadline that comes first fails there with
  // kTimeout, as the real client's does.
  void SetLatency(Verb verb, std::chrono::milliseconds latency);
  // Created objects are answered with a string of `bytes` more (field
  // "padding"), not stored: a large answer, as a real pod with its
  // managedFields is, to show what a caller keeps of its answers.
  void PadCreateAnswers(size_t bytes) { pad_create_answers_ = bytes; }

  // The calls served or failed so far, in order.
  std::vector<Call> Calls() const;
  size_t CountCalls(Verb verb, const std::string& resource = {},
                    const std::string& subresource = {}) const;
  size_t CountWrites() const;
  void ClearCalls();

  // Direct access for tests, bypassing faults and call records.
  std::optional<kube::rest::Json> Peek(const kube::rest::Resource& r, const std::string& ns,
                                       const std::string& name) const;
  std::vector<kube::rest::Json> PeekAll(const kube::rest::Resource& r,
                                        const std::string& ns = {}) const;
  // Stores `object` as the server would after a create (uid, resourceVersion,
  // timestamps), keeping a given status; or replaces it with a new version.
  kube::rest::Json Put(const kube::rest::Resource& r, const kube::rest::Json& object);
  // Removes the object at once, as if its finalizers were gone and the grace
  // period over.
  void Remove(const kube::rest::Resource& r, const std::string& ns, const std::string& name);

 private:
  struct Watcher;
  using Key = std::string;  // "<group>/<resource>/<ns>/<name>"

  static Key KeyOf(const kube::rest::Resource& r, const std::string& ns, const std::string& name);
  std::optional<Error> Enter(const Call& call);
  kube::rest::Json Stamp(kube::rest::Json object, const kube::rest::Resource& r,
                         const std::string& ns);
  Result<kube::rest::Json> Store(const kube::rest::Resource& r, const std::string& ns,
                                 const kube::rest::Json& before, kube::rest::Json after,
                                 const std::string& subresource);
  void Notify(const kube::rest::Resource& r, const std::string& type,
              const kube::rest::Json& object);
  void RemoveLocked(const kube::rest::Resource& r, const Key& key);
  std::string NextVersion();

  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<Key, kube::rest::Json> objects_;
  int64_t version_ = 100;
  int64_t uids_ = 0;
  std::vector<Call> calls_;
  std::vector<std::shared_ptr<FaultRule>> faults_;  // shared: a rule may keep state
  std::map<Verb, std::chrono::milliseconds> latency_;
  size_t pad_create_answers_ = 0;
  std::vector<std::shared_ptr<Watcher>> watchers_;
};

// A selector as the API server reads ?labelSelector=: comma-separated
// requirements `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`.
bool MatchesLabelSelector(const kube::rest::Json& labels, const std::string& selector);

}  // namespace agentfleet::testing
