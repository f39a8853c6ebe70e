#include "controller/fleet/reconciler/reconciler.h"

#include "controller/fleet/api/conditions.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/api/parse.h"
#include "controller/fleet/api/status_json.h"
#include "controller/fleet/reconciler/act.h"
#include "controller/fleet/reconciler/fleet_status.h"
#include "controller/fleet/reconciler/plan_input.h"
#include "controller/fleet/reconciler/source_config.h"
#include "controller/fleet/reconciler/write_status.h"

namespace agentfleet::fleet::reconciler {

using kube::controller::ReconcileResult;

Reconciler::Reconciler(kube::rest::Client& client, const kube::informer::Store<FleetRecord>& fleets,
                       const kube::informer::Store<kube::informer::PodRecord>& pods,
                       kube::events::EventRecorder& events, const Clock& clock,
                       SourceFactory& sources, ReconcilerOptions options)
    : client_(client),
      fleets_(fleets),
      pods_(pods),
      events_(events),
      clock_(clock),
      factory_(sources),
      options_(std::move(options)),
      secrets_(options_.secret_refresh_interval) {}

ReconcileResult Reconciler::Reconcile(const std::string& key, const obs::Logger& log) {
  auto record = fleets_.Get(key);
  if (!record) {
    // Gone: its pods are garbage-collected through their owner reference.
    {
      std::lock_guard lock(mu_);
      states_.erase(key);
    }
    if (options_.metrics) {
      auto [ns, name] = kube::meta::SplitKey(key);
      options_.metrics->Forget(ns, name);
    }
    return ReconcileResult::Done();
  }
  std::shared_ptr<FleetState> state;
  {
    std::lock_guard lock(mu_);
    auto& slot = states_[key];
    if (!slot) slot = std::make_shared<FleetState>(options_.expectation_timeout);
    state = slot;
  }
  return ReconcileFleet(key, *record, *state, log);
}

ReconcileResult Reconciler::ReconcileFleet(const std::string& key, const FleetRecord& record,
                                           FleetState& state, const obs::Logger& log) {
  auto parsed = api::ParseFleet(record.object);
  if (!parsed) return Abandon(record, parsed.error(), log);
  const api::Fleet& fleet = *parsed;
  if (fleet.meta.deleting) {
    return fleet.HasFinalizer() ? Finalize(key, record, fleet, state, log)
                                : ReconcileResult::Done();
  }
  const auto clear = ClearTextCredentials(fleet.spec, options_.operator_identity.aws != nullptr);
  if (!clear.empty() && options_.credential_transport == CredentialTransport::kTlsOnly) {
    return RefuseClearText(record, fleet, state, clear, log);
  }
  RefreshSources(fleet, record, state);
  if (!fleet.HasFinalizer()) {
    if (auto s = PatchFinalizers(record, true); !s) return s.error();
  }

  Observation seen = Observe(key, fleet, pods_, state.sources, clock_);
  ReadPodUsage(fleet, state, seen);
  state.expectations.Observe(seen.pods, seen.mono_now);
  const PassInput in = BuildPlanInput(fleet, seen, state.expectations, state.desired);
  const planner::Plan plan = planner::MakePlan(in.plan, state.planner);
  state.planner = plan.next_state;
  state.desired = plan.scale.desired;
  if (plan.scale.desired != plan.scale.current) {
    log.Info("scaling", {{"from", plan.scale.current},
                         {"to", plan.scale.desired},
                         {"reason", std::string(planner::ScaleReasonName(plan.scale.reason))}});
  }

  ActOutcome done = Act(
      {client_, events_, log, fleet, seen, state.expectations, state.handoffs, state.name_conflicts,
       state.sources.leases(), &state.generation_mark, options_.lease_write_gate, options_.metrics},
      plan, in.newly_ended);
  Measure(fleet, seen, plan, state);
  api::FleetStatus next = NextStatus(fleet, seen, plan, done);
  CredentialEvents(fleet, next, clear);
  if (DegradedTurned(fleet.status, next, "FailedCreate")) {
    events_.Warning(FleetRef(fleet.meta), "FailedCreate", "Reconcile", done.create_refused);
  }
  std::optional<std::chrono::nanoseconds> held;  // figures written later
  if (next != fleet.status && state.status_written_at && OnlyFiguresDiffer(fleet.status, next)) {
    const auto since = seen.mono_now - *state.status_written_at;
    if (since < kFiguresInterval) held = kFiguresInterval - since;
  }
  if (!held && next != fleet.status) {
    if (auto s = WriteStatus(client_, log, fleet.meta, fleet.status, next); !s) {
      done.errors.push_back(s.error().message);
    } else {
      state.status_written_at = seen.mono_now;
    }
  }
  const api::Seconds poll =
      fleet.spec.autoscaling ? fleet.spec.autoscaling->poll_interval : api::Seconds(5);
  // A failed act is looked at again within the poll interval whatever the
  // failures so far: a quota one pod short must not freeze scaling for the
  // rate limiter's minutes.
  if (!done.errors.empty()) {
    return ReconcileResult::Fail(MakeError(ErrorCode::kUnavailable, JoinMessages(done.errors)),
                                 poll);
  }
  return ReconcileResult::RequeueAfter(held ? std::min<std::chrono::nanoseconds>(*held, poll)
                                            : std::chrono::nanoseconds(poll));
}

void Reconciler::ReadPodUsage(const api::Fleet& fleet, FleetState& state, Observation& seen) {
  const auto& a = fleet.spec.autoscaling;
  if (!a || a->metrics.empty() || seen.pods.empty()) {
    state.usage.Reset();
    return;
  }
  state.usage.Refresh(client_, fleet.meta.namespace_name, api::PodSelector(fleet.meta.name),
                      seen.mono_now,
                      std::max<std::chrono::seconds>(a->poll_interval, kUsageInterval));
  seen.usage = &state.usage.samples();
}

void Reconciler::RefreshSources(const api::Fleet& fleet, const FleetRecord& record,
                                FleetState& state) {
  const Clock::Monotonic now = clock_.Now();
  ApiSecrets secrets(client_, fleet.meta.namespace_name, &secrets_, now,
                     state.sources.SecretsInDoubt(now));
  state.sources.Refresh(fleet, record.object, secrets, factory_, DirectoryCaFiles(options_.ca_dir),
                        options_.operator_identity, now);
}

std::vector<ClearTextCredential> Reconciler::Refused(const api::Fleet& fleet) const {
  if (options_.credential_transport != CredentialTransport::kTlsOnly) return {};
  return ClearTextCredentials(fleet.spec, options_.operator_identity.aws != nullptr);
}

void Reconciler::CredentialEvents(const api::Fleet& fleet, api::FleetStatus& next,
                                  const std::vector<ClearTextCredential>& found) {
  const auto ref = FleetRef(fleet.meta);
  if (auto warning = SetTransportCondition(next, fleet.meta.generation, found,
                                           options_.credential_transport, clock_.WallNow())) {
    events_.Warning(ref, std::string(kInsecureCredentialTransport), "Reconcile", *warning);
  }
  // The planner names the reason; the Event says it once, when it appears.
  const api::Condition* now = api::FindCondition(next.conditions, api::kConditionDegraded);
  const api::Condition* before =
      api::FindCondition(fleet.status.conditions, api::kConditionDegraded);
  if (now && now->reason == kCredentialsRequired &&
      (!before || before->reason != now->reason || before->message != now->message)) {
    events_.Warning(ref, std::string(kCredentialsRequired), "Reconcile", now->message);
  }
}

ReconcileResult Reconciler::RefuseClearText(const FleetRecord& record, const api::Fleet& fleet,
                                            FleetState& state,
                                            const std::vector<ClearTextCredential>& found,
                                            const obs::Logger& log) {
  // Connections opened before (another spec) are closed: nothing is kept open for it.
  state.sources = FleetSources();
  const std::string message =
      ClearTextMessage(found) +
      "; the installation allows credentials over TLS only (--credential-transport=tls-only)";
  api::FleetStatus next =
      InvalidStatus(fleet.status, fleet.meta.generation, api::PodSelector(fleet.meta.name),
                    std::string(kInsecureCredentialTransport), message, clock_.WallNow());
  CredentialEvents(fleet, next, found);
  if (auto s = WriteStatus(client_, log, record.meta, fleet.status, next); !s) return s.error();
  // Retrying cannot help: the next change to the fleet enqueues it again.
  return ReconcileResult::Done();
}

// Hand-offs, source faults and the plan's figures, as agentfleet_* metrics.
void Reconciler::Measure(const api::Fleet& fleet, const Observation& seen,
                         const planner::Plan& plan, FleetState& state) {
  std::vector<double> handoffs;
  if (seen.leases) {
    handoffs = state.handoffs.Settle(
        *seen.leases,
        [&](const std::string& pod) {
          return seen.pods.count(pod) > 0 || state.expectations.Creating(pod);
        },
        seen.mono_now);
  }
  FleetMetrics* m = options_.metrics;
  if (!m) return;
  const std::string& ns = fleet.meta.namespace_name;
  const std::string& name = fleet.meta.name;
  if (seen.queue_fault && seen.queue_tried) m->SourceError(ns, name, "queue");
  if (seen.lease_fault && seen.leases_tried) m->SourceError(ns, name, "leases");
  for (double seconds : handoffs) m->Handoff(ns, name, seconds);
  m->ObservePlan(ns, name, plan, seen.depth);
}

ReconcileResult Reconciler::Invalid(const FleetRecord& record, const std::string& reason,
                                    const std::string& message, const obs::Logger& log) {
  api::FleetStatus current;
  if (record.object.contains("status")) {
    if (auto s = api::ParseFleetStatus(record.object["status"])) current = std::move(*s);
  }
  api::FleetStatus next =
      InvalidStatus(current, record.meta.generation, api::PodSelector(record.meta.name), reason,
                    message, clock_.WallNow());
  events_.Warning(FleetRef(record.meta), reason, "Reconcile", message);
  if (auto s = WriteStatus(client_, log, record.meta, current, next); !s) return s.error();
  // Retrying cannot help; the next change to the fleet enqueues it again.
  return ReconcileResult::Done();
}

}  // namespace agentfleet::fleet::reconciler
