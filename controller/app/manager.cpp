#include "controller/app/manager.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "controller/app/version.h"
#include "controller/base/memory_trim.h"
#include "controller/fleet/api/names.h"
#include "controller/fleet/reconciler/fleet_metrics.h"
#include "controller/fleet/reconciler/fleet_record.h"
#include "controller/fleet/reconciler/pass_triggers.h"
#include "controller/fleet/reconciler/reconciler.h"
#include "controller/fleet/reconciler/sources.h"
#include "controller/kube/config/rest_config.h"
#include "controller/kube/controller/controller.h"
#include "controller/kube/events/recorder.h"
#include "controller/kube/informer/informer.h"
#include "controller/kube/informer/pod.h"
#include "controller/kube/leader/leader_elector.h"
#include "controller/kube/rest/client.h"
#include "controller/kube/workqueue/token_bucket.h"
#include "controller/obs/bind_address.h"
#include "controller/obs/http_server.h"
#include "controller/obs/log.h"
#include "controller/obs/metrics.h"
#include "controller/obs/probes.h"
#include "controller/obs/process_metrics.h"

namespace agentfleet::app {
namespace {

// On SIGTERM the passes in flight get this long to finish before the gate
// cuts them off and the Lease is released: well inside the pod's
// terminationGracePeriodSeconds (30 s in the chart).
constexpr std::chrono::seconds kDrainTimeout{5};

class ManagerImpl final : public Manager {
 public:
  ManagerImpl(const Options& options, obs::Logger log) : options_(options), log_(std::move(log)) {}

  Status Init() {
    auto cfg = kube::config::ResolveConfig(options_.kubeconfig, kube::config::ProcessEnvironment());
    if (!cfg) return cfg.error();
    log_.Info("API server configuration", {{"source", cfg->source}, {"server", cfg->server}});
    if (!cfg->token.empty()) log_.AddSecret(cfg->token);

    auto& requests = registry_.RegisterCounter(
        "rest_client_requests_total",
        "Number of HTTP requests to the API server, partitioned by status code and method.",
        {"code", "method"});
    auto& latency = registry_.RegisterHistogram(
        "rest_client_request_duration_seconds", "Request latency in seconds, by verb.", {"verb"},
        {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60});
    leader_gauge_ =
        &registry_
             .RegisterGauge("leader_election_master_status",
                            "1 while this process is the leader of the named lease, 0 otherwise.",
                            {"name"})
             .WithLabels({options_.leader_election_id});
    limiter_ = std::make_unique<kube::workqueue::TokenBucket>(
        options_.kube_api_qps, options_.kube_api_burst, RealClock::Instance());
    // One identity for the Lease, the Events and the user agent, so that the
    // API server's audit log tells the writes of two operator processes apart.
    identity_ = kube::leader::MakeLeaderIdentity();
    kube::rest::ClientOptions copts{
        .user_agent = "agentfleet-controller/" + std::string(Version()) + " (" + identity_ + ")",
        .throttle = [this] { (void)limiter_->Wait(); },
        .on_response =
            [&requests, &latency](std::string_view method, int code, double seconds) {
              requests.WithLabels({code == 0 ? "<error>" : std::to_string(code), method}).Inc();
              latency.WithLabels({method}).Observe(seconds);
            }};
    if (options_.leader_elect) {
      // The Lease's own client: it must not queue behind a scale-up's writes
      // in the shared throttle, and it writes while campaigning, so no gate.
      kube::rest::ClientOptions lopts{.user_agent = copts.user_agent,
                                      .on_response = copts.on_response};
      auto lease_client = kube::rest::Client::Create(*cfg, lopts);
      if (!lease_client) return lease_client.error();
      lease_client_ = std::move(lease_client).value();
      copts.write_gate = [this] { return gate_.Admit(); };
    }
    auto client = kube::rest::Client::Create(std::move(cfg).value(), copts);
    if (!client) return client.error();
    client_ = std::move(client).value();

    // Agent pods carry the fleet label: the selector keeps every other pod of
    // the cluster out of the cache.
    pods_ = std::make_unique<kube::informer::Informer<kube::informer::PodRecord>>(
        *client_, kube::rest::resources::kPods, kube::informer::ToPodRecord,
        kube::informer::ReflectorOptions{.namespace_name = options_.namespace_scope,
                                         .label_selector = std::string(fleet::api::kFleetLabel),
                                         .on_error = ApiErrorLogger("pods")});
    fleet::reconciler::AddFleetIndex(pods_->store());
    fleets_ = std::make_unique<kube::informer::Informer<fleet::reconciler::FleetRecord>>(
        *client_, kube::rest::resources::kPricingAgentFleets, fleet::reconciler::ToFleetRecord,
        kube::informer::ReflectorOptions{.namespace_name = options_.namespace_scope,
                                         .on_error = ApiErrorLogger("pricingagentfleets")});
    events_ = std::make_unique<kube::events::EventRecorder>(
        *client_, kube::events::RecorderOptions{.reporting_instance = identity_});
    fleet_metrics_ = std::make_unique<fleet::reconciler::FleetMetrics>(registry_);
    process_metrics_ = std::make_unique<obs::ProcessMetrics>(registry_, "agentfleet_build_info",
                                                             std::string(Version()));
    auto transport = fleet::reconciler::ParseCredentialTransport(options_.credential_transport);
    if (!transport) return transport.error();
    fleet::reconciler::OperatorIdentity identity;
    if (options_.allow_operator_cloud_identity) {
      const auto env = kube::config::ProcessEnvironment();
      identity.aws = sources::queue::OperatorAwsCredentials(env);
      identity.aws_region = sources::queue::AwsRegionFromEnvironment(env);
      log_.Info("lending the operator's AWS identity to SQS fleets without credentialsSecretRef",
                {{"source", identity.aws->Describe()}});
    }
    log_.Info("credential transport policy",
              {{"credentialTransport", options_.credential_transport}});
    reconciler_ = std::make_unique<fleet::reconciler::Reconciler>(
        *client_, fleets_->store(), pods_->store(), *events_, RealClock::Instance(), sources_,
        fleet::reconciler::ReconcilerOptions{
            .finalizer_lease_timeout = std::chrono::seconds(options_.finalizer_lease_timeout),
            .secret_refresh_interval =
                std::chrono::duration_cast<std::chrono::seconds>(options_.secret_refresh_interval),
            .metrics = fleet_metrics_.get(),
            .operator_identity = std::move(identity),
            .credential_transport = *transport,
            .lease_write_gate = LeaseWriteGate()});
    controller_ = std::make_unique<kube::controller::Controller>(
        kube::controller::ControllerOptions{
            .name = "pricingagentfleet",
            .max_concurrent_reconciles = options_.max_concurrent_reconciles,
            .metrics = &registry_,
            .log = log_},
        [this](const kube::controller::ReconcileRequest& req) {
          auto result = reconciler_->Reconcile(req.key, req.log);
          trimmer_.MaybeTrim();
          return result;
        });
    using FleetPtr = std::shared_ptr<const fleet::reconciler::FleetRecord>;
    using PodPtr = std::shared_ptr<const kube::informer::PodRecord>;
    fleets_->AddHandlers(
        {.on_add = [this](const FleetPtr& f) { controller_->Enqueue(f->meta.Key()); },
         .on_update =
             [this](const FleetPtr& before, const FleetPtr& f) {
               if (fleet::reconciler::FleetUpdateStartsPass(*before, *f)) {
                 controller_->Enqueue(f->meta.Key());
               }
             },
         .on_delete = [this](const FleetPtr& f) { controller_->Enqueue(f->meta.Key()); }});
    auto enqueue_pod = [this](const PodPtr& p) {
      auto key = fleet::reconciler::FleetKeyOfPod(*p);
      if (!key) return;
      if (options_.pod_event_batch_period > std::chrono::milliseconds::zero()) {
        controller_->EnqueueAfter(*key, options_.pod_event_batch_period);
      } else {
        controller_->Enqueue(*key);
      }
    };
    pods_->AddHandlers({.on_add = enqueue_pod,
                        .on_update =
                            [enqueue_pod](const PodPtr& before, const PodPtr& p) {
                              if (fleet::reconciler::PodUpdateStartsPass(*before, *p))
                                enqueue_pod(p);
                            },
                        .on_delete = enqueue_pod});
    checks_.AddHealthCheck("ping", [] { return Status(Ok{}); });
    // The fleet cache syncs only once the CRD is installed; readiness (the
    // process serves) does not wait for it, the controller does.
    checks_.AddReadinessCheck("informers-synced", [this]() -> Status {
      if (pods_->HasSynced()) return Ok{};
      return MakeError(ErrorCode::kUnavailable, "pod informer has not synced");
    });
    return StartServers();
  }

  int Run() override {
    pods_->Start();
    fleets_->Start();
    log_.Info("started",
              {{"version", std::string(Version())},
               {"namespace", options_.namespace_scope.empty() ? "(all)" : options_.namespace_scope},
               {"leaderElect", options_.leader_elect},
               {"identity", identity_}});
    int code = 0;
    if (options_.leader_elect) {
      std::string ns = options_.leader_election_namespace.empty()
                           ? client_->config().namespace_name
                           : options_.leader_election_namespace;
      kube::leader::LeaderElectionConfig lec{
          .namespace_name = ns,
          .name = options_.leader_election_id,
          .identity = identity_,
          .lease_duration = options_.leader_elect_lease_duration,
          .renew_deadline = options_.leader_elect_renew_deadline,
          .retry_period = options_.leader_elect_retry_period,
          .gate = &gate_,
          .on_started_leading =
              [this] {
                leader_gauge_->Set(1);
                log_.Info("became leader");
                StartController();
              },
          .on_stopped_leading =
              [this] {
                leader_gauge_->Set(0);
                log_.Info("stopped leading");
              },
          .on_new_leader =
              [this](const std::string& id) {
                log_.Info("leader", {{"identity", id}});
              },
          .on_error =
              [warn = WarnOnNewError()](const Error& e) {
                warn(
                    "leader election: the Lease cannot be read or "
                    "written",
                    e);
              }};
      {
        std::lock_guard lock(mu_);
        if (!stop_) elector_ = std::make_unique<kube::leader::LeaderElector>(*lease_client_, lec);
      }
      if (elector_ && !Lead()) {
        log_.Error("leadership lost; exiting so that a fresh process campaigns again");
        code = 1;
      }
    } else {
      leader_gauge_->Set(1);
      StartController();
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_; });
    }
    Shutdown();
    return code;
  }

  // With leader election, Run hands over in order (Lead); the elector keeps
  // renewing meanwhile.
  void Stop() override {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }

 private:
  // A warning per distinct error of a retry loop (a refused list, a Lease the
  // RBAC does not allow), not one per retry: a missing rule must show in the
  // log, not only in rest_client_requests_total.
  std::function<void(std::string_view, const Error&)> WarnOnNewError() {
    auto last = std::make_shared<std::pair<std::mutex, std::string>>();
    return [this, last](std::string_view message, const Error& e) {
      {
        std::lock_guard lock(last->first);
        if (last->second == e.message) return;
        last->second = e.message;
      }
      log_.Warn(message, {{"error", e}});
    };
  }
  std::function<void(std::string_view, const Error&)> ApiErrorLogger(std::string resource) {
    return [warn = WarnOnNewError(), resource = std::move(resource)](std::string_view what,
                                                                     const Error& e) {
      warn("cannot " + std::string(what) + " " + resource + "; retrying", e);
    };
  }
  // Reconciles only from warm caches: a pass over an empty pod cache would
  // create every pod again (AlreadyExists saves us, at the cost of a storm).
  // Waits on its own thread: the elector's callback must return at once to
  // keep renewing, and the fleet cache syncs only once the CRD is installed.
  void StartController() {
    std::lock_guard lock(mu_);
    if (stop_ || starter_.joinable()) return;
    starter_ = std::jthread([this](std::stop_token stop) {
      bool logged = false;
      while (!stop.stop_requested()) {
        if (pods_->WaitForSync(std::chrono::seconds(1)) &&
            fleets_->WaitForSync(std::chrono::seconds(1))) {
          controller_->Start();
          log_.Info("fleet controller started", {{"workers", options_.max_concurrent_reconciles}});
          return;
        }
        if (!logged) {
          log_.Info("waiting for the pod and fleet caches (is the CRD installed?)");
          logged = true;
        }
      }
    });
  }

  // The lease stores' writes pass the same gate as the API client's.
  std::function<Status()> LeaseWriteGate() {
    if (!options_.leader_elect) return {};
    return [this]() -> Status {
      if (auto until = gate_.Admit(); !until) return until.error();
      return Ok{};
    };
  }

  // Runs the elector until it ends on its own (leadership lost) or Stop: then
  // no pass starts any more, the passes in flight finish or are cut off by
  // the gate, and only then is the Lease released. LeaderElector::Run's result.
  bool Lead() {
    bool by_stop = false, over = false;
    std::jthread elector([this, &by_stop, &over] {
      const bool result = elector_->Run();
      std::lock_guard lock(mu_);
      by_stop = result;
      over = true;
      cv_.notify_all();
    });
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || over; });
      if (over) return by_stop;
    }
    log_.Info("stopping the fleet controller before releasing the Lease");
    if (starter_.joinable()) {
      starter_.request_stop();
      starter_.join();
    }
    if (controller_->Drain(kDrainTimeout)) {
      events_->Flush();  // while the gate still lets them out
    } else {
      log_.Warn("passes still running are cut off: the Lease is released and their writes refused",
                {{"after", std::chrono::duration<double>(kDrainTimeout).count()}});
    }
    gate_.Revoke();
    elector_->Stop();
    elector.join();
    return by_stop;
  }

  Status StartServers() {
    auto metrics = obs::MetricsRoutes(registry_);
    auto probes = obs::ProbeRoutes(checks_);
    const auto& m = options_.metrics_bind_address;
    const auto& h = options_.health_probe_bind_address;
    auto start = [this](const std::string& addr, obs::HttpRoutes routes,
                        const char* what) -> Status {
      auto server = obs::HttpServer::Start({.bind_address = addr}, std::move(routes));
      if (!server)
        return MakeError(server.error().code, std::string(what) + ": " + server.error().message);
      log_.Info("serving",
                {{"endpoint", what}, {"address", addr}, {"port", int((*server)->port())}});
      servers_.push_back(std::move(server).value());
      return Ok{};
    };
    bool metrics_on = !obs::IsBindAddressDisabled(m), probes_on = !obs::IsBindAddressDisabled(h);
    if (metrics_on && probes_on && m == h)
      return start(m, obs::MergeRoutes(metrics, probes), "metrics+probes");
    if (metrics_on) {
      if (auto s = start(m, metrics, "metrics"); !s) return s;
    }
    if (probes_on) {
      if (auto s = start(h, probes, "probes"); !s) return s;
    }
    return Ok{};
  }

  void Shutdown() {
    log_.Info("shutting down");
    if (starter_.joinable()) {
      starter_.request_stop();
      starter_.join();
    }
    controller_->Stop();
    events_->Flush();
    pods_->Stop();
    fleets_->Stop();
    for (auto& s : servers_) s->Stop();
  }

  Options options_;
  obs::Logger log_;
  std::string identity_;
  obs::Registry registry_;
  obs::HealthChecks checks_;
  obs::Gauge* leader_gauge_ = nullptr;
  std::unique_ptr<kube::workqueue::TokenBucket> limiter_;
  kube::leader::LeadershipGate gate_;  // with --leader-elect, client_'s writes pass it
  std::unique_ptr<kube::rest::Client> lease_client_;  // with --leader-elect
  std::unique_ptr<kube::rest::Client> client_;
  std::unique_ptr<kube::informer::Informer<kube::informer::PodRecord>> pods_;
  std::unique_ptr<kube::informer::Informer<fleet::reconciler::FleetRecord>> fleets_;
  std::unique_ptr<kube::events::EventRecorder> events_;
  fleet::reconciler::DefaultSourceFactory sources_;
  std::unique_ptr<fleet::reconciler::FleetMetrics> fleet_metrics_;
  std::unique_ptr<obs::ProcessMetrics> process_metrics_;
  std::unique_ptr<fleet::reconciler::Reconciler> reconciler_;
  // What a pass over many pods freed goes back to the system every 10 s.
  MemoryTrimmer trimmer_{RealClock::Instance(), std::chrono::seconds(10)};
  std::unique_ptr<kube::controller::Controller> controller_;
  std::jthread starter_;
  std::vector<std::unique_ptr<obs::HttpServer>> servers_;
  std::unique_ptr<kube::leader::LeaderElector> elector_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace

Result<std::unique_ptr<Manager>> Manager::Create(const Options& options) {
  auto level = obs::ParseLevel(options.log_level);
  obs::Logger log({.level = level.value_or(obs::Level::kInfo)});
  auto m = std::make_unique<ManagerImpl>(options, log);
  if (auto s = m->Init(); !s) return s.error();
  return std::unique_ptr<Manager>(std::move(m));
}

}  // namespace agentfleet::app
