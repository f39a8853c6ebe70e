#include "controller/fleet/reconciler/reconciler.h"

#include <algorithm>
#include <functional>

#include "controller/base/base64.h"
#include "controller/fleet/api/conditions.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/status_json.h"
#include "controller/fleet/api/time_format.h"
#include "controller/fleet/reconciler/agent_pod.h"
#include "controller/fleet/reconciler/fleet_status.h"
#include "controller/fleet/reconciler/plan_input.h"
#include "controller/fleet/reconciler/source_config.h"
#include "controller/kube/meta/object_meta.h"
#include "controller/sources/protocol/shard_ranges.h"

namespace agentfleet::fleet::reconciler {

using kube::controller::ReconcileResult;
using Json = nlohmann::json;

void AddFleetIndex(kube::Store<kube::PodRecord>& pods) {
  pods.AddIndex(kFleetIndex, [](const kube::PodRecord& p) {
    const std::string* fleet = p.meta.Label(api::kFleetLabel);
    return fleet ? std::vector<std::string>{p.meta.namespace_name + "/" + *fleet}
                 : std::vector<std::string>{};
  });
}

std::optional<std::string> FleetKeyOfPod(const kube::PodRecord& pod) {
  if (const kube::OwnerRef* o = pod.meta.ControllerOwner()) {
    if (o->kind == api::kKind && o->api_version.rfind(std::string(api::kGroup) + "/", 0) == 0) {
      return pod.meta.namespace_name + "/" + o->name;
    }
  }
  if (const std::string* fleet = pod.meta.Label(api::kFleetLabel)) {
    return pod.meta.namespace_name + "/" + *fleet;
  }
  return std::nullopt;
}

namespace {

std::string JoinMessages(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

Reconciler::Reconciler(kube::Client& client, const kube::Store<FleetRecord>& fleets,
                       const kube::Store<kube::PodRecord>& pods, kube::EventRecorder& events,
                       const Clock& clock, SourceFactory& sources, ReconcilerOptions options)
    : client_(client),
      fleets_(fleets),
      pods_(pods),
      events_(events),
      clock_(clock),
      factory_(sources),
      options_(std::move(options)) {}

kube::ObjectReference Reconciler::FleetRef(const kube::ObjectMeta& meta) const {
  return {std::string(api::kApiVersion), std::string(api::kKind), meta.namespace_name, meta.name,
          meta.uid};
}

ReconcileResult Reconciler::Reconcile(const std::string& key) {
  auto record = fleets_.Get(key);
  if (!record) {
    // Gone: its pods are garbage-collected through their owner reference.
    {
      std::lock_guard lock(mu_);
      states_.erase(key);
    }
    if (options_.metrics) {
      auto [ns, name] = kube::SplitKey(key);
      options_.metrics->Forget(ns, name);
    }
    return ReconcileResult::Done();
  }
  std::shared_ptr<FleetState> state;
  {
    std::lock_guard lock(mu_);
    auto& slot = states_[key];
    if (!slot) slot = std::make_shared<FleetState>();
    state = slot;
  }
  return ReconcileFleet(key, *record, *state);
}

ReconcileResult Reconciler::Invalid(const FleetRecord& record, const std::string& reason,
                                    const std::string& message) {
  api::FleetStatus current;
  if (record.object.contains("status")) {
    if (auto s = api::ParseFleetStatus(record.object["status"])) current = std::move(*s);
  }
  api::FleetStatus next =
      InvalidStatus(current, record.meta.generation, api::PodSelector(record.meta.name), reason,
                    message, clock_.WallNow());
  events_.Warning(FleetRef(record.meta), reason, "Reconcile", message);
  if (auto s = WriteStatus(record.meta.namespace_name, record.meta.name, current, next); !s) {
    return s.error();
  }
  // Retrying cannot help; the next change to the fleet enqueues it again.
  return ReconcileResult::Done();
}

Status Reconciler::PatchFinalizers(const FleetRecord& record, bool add) {
  Json finalizers = Json::array();
  for (const auto& f : record.meta.finalizers) {
    if (f != api::kLeaseCleanupFinalizer) finalizers.push_back(f);
  }
  if (add) finalizers.push_back(api::kLeaseCleanupFinalizer);
  // The resourceVersion makes the list replacement conditional: another
  // writer's finalizer is never lost.
  Json patch = {
      {"metadata",
       {{"finalizers", std::move(finalizers)}, {"resourceVersion", record.meta.resource_version}}}};
  auto r = client_.Patch(kube::resources::kPricingAgentFleets, record.meta.namespace_name,
                         record.meta.name, kube::PatchType::kJsonMerge, patch,
                         {.field_manager = std::string(api::kFieldManager)});
  if (!r) return r.error();
  return Ok{};
}

Status Reconciler::WriteStatus(const std::string& ns, const std::string& name,
                               const api::FleetStatus& current, const api::FleetStatus& next) {
  if (current == next) return Ok{};
  auto r =
      client_.Patch(kube::resources::kPricingAgentFleets, ns, name, kube::PatchType::kJsonMerge,
                    api::StatusMergePatch(next),
                    {.field_manager = std::string(api::kFieldManager), .subresource = "status"});
  if (!r) return r.error();
  return Ok{};
}

void Reconciler::RefreshSources(const api::Fleet& fleet, const Json& object, FleetState& state) {
  // Secrets read once per pass; their values are part of the fingerprint (as
  // a hash) so that a rotated password reopens the connections.
  std::map<std::string, Result<Json>> secrets;
  std::string seen;
  SecretLookup lookup = [&](const std::string& name,
                            const std::string& key) -> Result<std::string> {
    auto it = secrets.find(name);
    if (it == secrets.end()) {
      it = secrets
               .emplace(name,
                        client_.Get(kube::resources::kSecrets, fleet.meta.namespace_name, name))
               .first;
    }
    const auto& got = it->second;
    if (!got) {
      if (got.error().code == ErrorCode::kNotFound) {
        return MakeError(ErrorCode::kNotFound,
                         "Secret " + fleet.meta.namespace_name + "/" + name + " not found");
      }
      return MakeError(got.error().code, "reading Secret " + fleet.meta.namespace_name + "/" +
                                             name + ": " + got.error().message);
    }
    const Json& data = got->contains("data") ? (*got)["data"] : Json::object();
    if (!data.is_object() || !data.contains(key) || !data[key].is_string()) {
      return MakeError(ErrorCode::kNotFound,
                       "Secret " + fleet.meta.namespace_name + "/" + name + " has no key " + key);
    }
    auto value = Base64Decode(data[key].get<std::string>());
    if (!value) {
      return MakeError(ErrorCode::kInvalidArgument, "Secret " + fleet.meta.namespace_name + "/" +
                                                        name + " key " + key +
                                                        " is not valid base64");
    }
    seen += name + "\n" + key + "\n" + *value + "\n";
    return *value;
  };
  CaFileWriter ca_files = DirectoryCaFiles(options_.ca_dir);
  auto queue_config = QueueConfigFor(fleet.spec, lookup, ca_files);
  auto lease_config = LeaseStoreConfigFor(fleet.spec, lookup, ca_files);
  const Json& spec = object.contains("spec") ? object["spec"] : Json::object();
  std::string basis = spec.value("queue", Json()).dump() + spec.value("leases", Json()).dump() +
                      std::to_string(fleet.spec.shards) + seen;
  size_t fingerprint = std::hash<std::string>{}(basis);

  Sources& s = state.sources;
  if (fingerprint == s.fingerprint && s.queue_ok && s.leases_ok) return;
  s = Sources{};
  s.fingerprint = fingerprint;
  if (queue_config) {
    auto q = factory_.MakeQueue(std::move(*queue_config));
    if (q) {
      s.queue = std::move(*q);
      s.queue_ok = true;
    } else {
      s.queue_error = q.error();
    }
  } else {
    s.queue_error = queue_config.error();
  }
  if (lease_config) {
    auto l = factory_.OpenLeases(*lease_config);
    if (l) {
      s.leases = std::move(*l);
      s.leases_ok = true;
    } else {
      s.lease_error = l.error();
    }
  } else {
    s.lease_error = lease_config.error();
  }
}

Status Reconciler::DeletePod(const kube::PodRecord& pod) {
  // The uid precondition never deletes a pod recreated under the same name;
  // a pod already gone or replaced is no error.
  auto s = client_.Delete(kube::resources::kPods, pod.meta.namespace_name, pod.meta.name,
                          {.precondition_uid = pod.meta.uid});
  if (s || s.error().code == ErrorCode::kNotFound ||
      s.error().code == ErrorCode::kFailedPrecondition || s.error().code == ErrorCode::kConflict) {
    return Ok{};
  }
  return MakeError(s.error().code, "deleting pod " + pod.meta.name + ": " + s.error().message);
}

ReconcileResult Reconciler::Finalize(const std::string& key, const FleetRecord& record,
                                     const api::Fleet& fleet, FleetState& state) {
  // The agents go first: deleting the lease records while they still run
  // would only let them take their shards again. Their pods would be
  // garbage-collected anyway, but only once the fleet is gone.
  const auto now = clock_.Now();
  if (!state.finalizing_since) state.finalizing_since = now;
  size_t remaining = 0;
  std::vector<std::string> errors;
  for (const auto& p : pods_.ByIndex(kFleetIndex, key)) {
    ++remaining;
    if (p->meta.deleting) continue;
    if (auto s = DeletePod(*p); !s) errors.push_back(s.error().message);
  }
  if (!errors.empty()) return MakeError(ErrorCode::kUnavailable, JoinMessages(errors));
  if (remaining > 0) {
    if (now - *state.finalizing_since < options_.finalizer_pod_timeout) {
      return ReconcileResult::RequeueAfter(std::chrono::seconds(1));
    }
    events_.Warning(FleetRef(fleet.meta), "PodsStillTerminating", "Finalize",
                    std::to_string(remaining) +
                        " agent pods are still terminating; deleting the lease records anyway");
  }
  // Only now: the Secrets are read once the lease store is needed, not on
  // every pass while the pods terminate.
  RefreshSources(fleet, record.object, state);
  if (!state.sources.leases_ok) {
    return MakeError(state.sources.lease_error.code, "cannot delete the fleet's lease records: " +
                                                         state.sources.lease_error.message);
  }
  if (auto s = state.sources.leases->DeleteFleet(
          api::LeaseFleetId(fleet.meta.namespace_name, fleet.meta.name));
      !s) {
    return MakeError(s.error().code, "deleting the fleet's lease records: " + s.error().message);
  }
  events_.Normal(FleetRef(fleet.meta), "LeasesDeleted", "Finalize",
                 "deleted the fleet's lease records");
  // The newest cached version: the finalizer patch is conditional on it.
  auto latest = fleets_.Get(fleet.meta.Key());
  if (!latest) return ReconcileResult::Done();
  if (auto s = PatchFinalizers(*latest, false); !s) return s.error();
  return ReconcileResult::Done();
}

namespace {

std::string ErrorReason(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kInvalidArgument:
      return "InvalidConfiguration";
    case ErrorCode::kUnauthorized:
    case ErrorCode::kForbidden:
      return "AccessDenied";
    default:
      return "Unavailable";
  }
}

}  // namespace

ReconcileResult Reconciler::ReconcileFleet(const std::string& key, const FleetRecord& record,
                                           FleetState& state) {
  auto parsed = api::ParseFleet(record.object);
  if (!parsed) {
    if (record.meta.deleting) {
      // Without a usable spec there is no lease store to clean; holding the
      // fleet's deletion forever would help no one.
      bool ours = std::find(record.meta.finalizers.begin(), record.meta.finalizers.end(),
                            api::kLeaseCleanupFinalizer) != record.meta.finalizers.end();
      if (!ours) return ReconcileResult::Done();
      events_.Warning(
          FleetRef(record.meta), "LeaseCleanupSkipped", "Finalize",
          "the spec is invalid, so its lease records cannot be located: " + parsed.error().message);
      return ReconcileResult::FromStatus(PatchFinalizers(record, false));
    }
    return Invalid(record, "InvalidSpec", parsed.error().message);
  }
  const api::Fleet& fleet = *parsed;
  const std::string& ns = fleet.meta.namespace_name;
  const std::string& name = fleet.meta.name;

  if (fleet.meta.deleting) {
    if (!fleet.HasFinalizer()) return ReconcileResult::Done();
    return Finalize(key, record, fleet, state);
  }
  RefreshSources(fleet, record.object, state);
  if (!fleet.HasFinalizer()) {
    if (auto s = PatchFinalizers(record, true); !s) return s.error();
  }

  const auto mono_now = clock_.Now();
  const auto wall_now = clock_.WallNow();

  // Observe the sources: a failure is an absent value for the planner.
  std::optional<int64_t> depth;
  std::vector<std::string> faults;
  std::string fault_reason;
  if (state.sources.queue_ok) {
    auto d = state.sources.queue->ReadDepth();
    if (d) {
      depth = d->total;
    } else {
      faults.push_back("queue depth: " + d.error().message);
      fault_reason = "QueueUnavailable";
      if (options_.metrics) options_.metrics->SourceError(ns, name, "queue");
    }
  } else {
    faults.push_back(state.sources.queue_error.message);
    fault_reason = "QueueSource" + ErrorReason(state.sources.queue_error);
    if (options_.metrics) options_.metrics->SourceError(ns, name, "queue");
  }
  std::optional<sources::lease::LeaseSnapshot> snapshot;
  if (state.sources.leases_ok) {
    auto snap = state.sources.leases->Snapshot(api::LeaseFleetId(ns, name));
    if (snap) {
      snapshot = std::move(*snap);
    } else {
      faults.push_back("lease table: " + snap.error().message);
      if (fault_reason.empty()) fault_reason = "LeasesUnavailable";
      if (options_.metrics) options_.metrics->SourceError(ns, name, "leases");
    }
  } else {
    faults.push_back(state.sources.lease_error.message);
    if (fault_reason.empty()) fault_reason = "LeaseStore" + ErrorReason(state.sources.lease_error);
    if (options_.metrics) options_.metrics->SourceError(ns, name, "leases");
  }

  // The pods: the cache, corrected by what this reconciler wrote and the
  // cache has not shown yet.
  planner::PlanInput in = PlanInputFromFleet(fleet);
  in.queue_depth = depth;
  if (snapshot) in.leases = ToLeaseViews(*snapshot);
  in.now = wall_now;
  std::map<std::string, std::shared_ptr<const kube::PodRecord>> cached;
  for (const auto& p : pods_.ByIndex(kFleetIndex, key)) cached[p->meta.name] = p;
  int32_t non_retiring = 0;
  for (const auto& [pod_name, pod] : cached) {
    planner::PodView v = ToPodView(*pod, in.shards);
    state.created.erase(pod_name);
    if (auto w = state.written.find(pod_name); w != state.written.end()) {
      if (w->second.resource_version_before == pod->meta.resource_version) {
        v.assigned.clear();
        if (auto parsed_shards = sources::protocol::ParseShardRanges(w->second.shards, in.shards)) {
          v.assigned = std::move(*parsed_shards);
        }
      } else {
        state.written.erase(w);
      }
    }
    if (auto m = state.marked.find(pod_name); m != state.marked.end()) {
      if (m->second == pod->meta.resource_version) {
        if (!v.retiring) v.retiring_since = wall_now;
        v.retiring = true;
      } else {
        state.marked.erase(m);
      }
    }
    const bool ended = pod->phase == "Failed" || pod->phase == "Succeeded";
    if (ended && !v.retiring && !pod->meta.deleting) {
      events_.Warning({"v1", "Pod", ns, pod_name, pod->meta.uid}, "PodEnded", "Reconcile",
                      "the agent pod ended (phase " + pod->phase +
                          "); it is retired once its leases are released or expired, and "
                          "replaced");
    }
    if (pod->meta.deleting || ended) {
      // Terminating or ended: keep its name reserved, drain its shards and
      // count it no more; its replacement is created at once.
      v.ready = false;
      if (!v.retiring) v.retiring_since = wall_now;
      v.retiring = true;
    }
    if (!v.retiring) ++non_retiring;
    in.pods.push_back(std::move(v));
  }
  for (auto it = state.created.begin(); it != state.created.end();) {
    if (mono_now - it->second > options_.expectation_timeout) {
      it = state.created.erase(it);
      continue;
    }
    planner::PodView v;
    v.name = it->first;
    v.created_at = wall_now;
    in.pods.push_back(std::move(v));
    ++non_retiring;
    ++it;
  }
  if (state.desired) {
    in.current_replicas = *state.desired;
  } else if (!fleet.status.conditions.empty()) {
    in.current_replicas = fleet.status.desired_replicas;
  } else {
    in.current_replicas = non_retiring;
  }

  planner::Plan plan = planner::MakePlan(in, state.planner);
  state.planner = plan.next_state;
  state.desired = plan.scale.desired;

  // Act. Every step tolerates having been done already.
  std::vector<std::string> errors;
  // Slow start, as the ReplicaSet controller's: batches of 1, 2, 4, ... that
  // stop at the first failure, so that a quota or a webhook refusing every pod
  // costs one request, not hundreds.
  size_t created_now = 0;
  bool create_failed = false;
  for (size_t next = 0, batch = 1; next < plan.create.size() && !create_failed; batch *= 2) {
    for (const size_t end = std::min(next + batch, plan.create.size()); next < end; ++next) {
      const std::string& pod_name = plan.create[next];
      auto r = client_.Create(kube::resources::kPods, ns, BuildAgentPod(fleet, pod_name),
                              {.field_manager = std::string(api::kFieldManager)});
      if (r || r.error().code == ErrorCode::kAlreadyExists) {
        state.created[pod_name] = mono_now;
        ++created_now;
      } else {
        errors.push_back("creating pod " + pod_name + ": " + r.error().message);
        create_failed = true;
      }
    }
  }
  std::set<std::string> removing;
  for (const auto& d : plan.remove) removing.insert(d.pod);
  const std::string now_text = api::FormatTime(wall_now);
  for (const auto& r : plan.retire) {
    if (removing.count(r.pod) > 0) continue;
    auto it = cached.find(r.pod);
    if (it == cached.end() || it->second->meta.Annotation(api::kRetiringAnnotation)) continue;
    if (state.marked.count(r.pod) > 0) continue;
    auto p =
        client_.Patch(kube::resources::kPods, ns, r.pod, kube::PatchType::kJsonMerge,
                      RetiringPatch(now_text), {.field_manager = std::string(api::kFieldManager)});
    if (p) {
      state.marked[r.pod] = it->second->meta.resource_version;
    } else if (p.error().code != ErrorCode::kNotFound) {
      errors.push_back("marking pod " + r.pod + " retiring: " + p.error().message);
    }
  }
  for (const auto& a : plan.assignments) {
    if (!a.changed || removing.count(a.pod) > 0) continue;
    auto it = cached.find(a.pod);
    if (it == cached.end()) continue;  // created this pass or not yet cached
    std::string ranges = sources::protocol::FormatShardRanges(a.shards);
    int64_t generation = AssignmentGeneration(*it->second);
    if (auto w = state.written.find(a.pod); w != state.written.end()) {
      if (w->second.shards == ranges) continue;
      generation = std::max(generation, w->second.generation);
    }
    ++generation;
    auto p = client_.Patch(kube::resources::kPods, ns, a.pod, kube::PatchType::kJsonMerge,
                           AssignmentPatch(ranges, generation),
                           {.field_manager = std::string(api::kFieldManager)});
    if (p) {
      state.written[a.pod] = {it->second->meta.resource_version, ranges, generation};
      for (uint32_t shard : a.shards) {
        auto h = state.handoffs.find(shard);
        if (h == state.handoffs.end() || h->second.first != a.pod) {
          state.handoffs[shard] = {a.pod, mono_now};
        }
      }
    } else if (p.error().code != ErrorCode::kNotFound) {
      errors.push_back("assigning shards to pod " + a.pod + ": " + p.error().message);
    }
  }
  for (const auto& d : plan.remove) {
    auto it = cached.find(d.pod);
    if (it == cached.end() || it->second->meta.deleting) continue;
    if (auto s = DeletePod(*it->second); !s) errors.push_back(s.error().message);
    state.written.erase(d.pod);
    state.marked.erase(d.pod);
  }

  // Hand-offs end when the new owner holds the shard's lease.
  if (snapshot) {
    for (auto it = state.handoffs.begin(); it != state.handoffs.end();) {
      const sources::lease::LeaseRecord* held = snapshot->Valid(it->first);
      if (held && HolderPod(held->holder) == it->second.first) {
        if (options_.metrics) {
          options_.metrics->Handoff(
              ns, name, std::chrono::duration<double>(mono_now - it->second.second).count());
        }
        it = state.handoffs.erase(it);
      } else if (cached.count(it->second.first) == 0 &&
                 state.created.count(it->second.first) == 0) {
        it = state.handoffs.erase(it);
      } else {
        ++it;
      }
    }
  }

  for (const auto& e : plan.events) {
    kube::ObjectReference ref = FleetRef(fleet.meta);
    if (!e.pod.empty()) {
      auto it = cached.find(e.pod);
      ref = {"v1", "Pod", ns, e.pod, it == cached.end() ? "" : it->second->meta.uid};
    }
    events_.Record(ref, e.warning ? "Warning" : "Normal", e.reason, "Reconcile", e.message);
  }
  if (options_.metrics) options_.metrics->ObservePlan(ns, name, plan, depth);

  // Status.
  int32_t replicas = static_cast<int32_t>(cached.size() + created_now);
  for (const auto& d : plan.remove) {
    if (cached.count(d.pod) > 0) --replicas;
  }
  api::FleetStatus next = StatusFromPlan({&fleet, &plan, replicas, depth, wall_now});
  if (!faults.empty()) {
    const std::string message = JoinMessages(faults);
    api::Condition degraded;
    degraded.type = std::string(api::kConditionDegraded);
    degraded.status = api::ConditionStatus::kTrue;
    degraded.observed_generation = fleet.meta.generation;
    degraded.reason = fault_reason;
    degraded.message = message;
    api::SetCondition(next.conditions, std::move(degraded), wall_now);
  }
  if (auto s = WriteStatus(ns, name, fleet.status, next); !s) {
    errors.push_back("writing status: " + s.error().message);
  }

  if (!errors.empty()) {
    return MakeError(ErrorCode::kUnavailable, JoinMessages(errors));
  }
  auto poll = fleet.spec.autoscaling ? fleet.spec.autoscaling->poll_interval : api::Seconds(5);
  return ReconcileResult::RequeueAfter(poll);
}

}  // namespace agentfleet::fleet::reconciler
