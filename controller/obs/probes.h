#pragma once

// The operator's HTTP endpoints: /metrics for Prometheus, /healthz (liveness)
// and /readyz (readiness) for the kubelet, answering as controller-runtime's
// probes do.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "controller/base/result.h"
#include "controller/obs/http_server.h"
#include "controller/obs/metrics.h"

namespace agentfleet::obs {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Named checks behind /healthz and /readyz. A check returns Ok when healthy or
// an Error saying why not; it must be quick and thread-safe (it runs on every
// probe). /healthz answers 200 "ok" while the process serves, plus any liveness
// checks added; /readyz answers 200 "ok" once every readiness check passes,
// e.g. "caches-synced", and 503 naming the failing checks otherwise.
class HealthChecks {
 public:
  using Check = std::function<Status()>;
  void AddHealthCheck(std::string name, Check check);
  void AddReadinessCheck(std::string name, Check check);

  // `verbose` (the ?verbose query) lists every check and the reasons of the
  // failing ones; otherwise a failure names the checks and withholds reasons,
  // which may carry internals not meant for anonymous probes.
  HttpResponse Healthz(bool verbose) const;
  HttpResponse Readyz(bool verbose) const;

 private:
  HttpResponse Run(std::string_view endpoint,
                   const std::vector<std::pair<std::string, Check>>& checks, bool verbose) const;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Check>> health_;
  std::vector<std::pair<std::string, Check>> ready_;
};

// {"/metrics"}: the registry in text format 0.0.4. `registry` must outlive the server.
HttpRoutes MetricsRoutes(const Registry& registry);

// {"/healthz", "/readyz"}. `checks` must outlive the server.
HttpRoutes ProbeRoutes(const HealthChecks& checks);

// Both sets, for a single server.
HttpRoutes MergeRoutes(HttpRoutes a, const HttpRoutes& b);

}  // namespace agentfleet::obs
