#include "controller/obs/probes.h"

namespace agentfleet::obs {

void HealthChecks::AddHealthCheck(std::string name, Check check) {
  std::lock_guard lock(mu_);
  health_.emplace_back(std::move(name), std::move(check));
}

void HealthChecks::AddReadinessCheck(std::string name, Check check) {
  std::lock_guard lock(mu_);
  ready_.emplace_back(std::move(name), std::move(check));
}

HttpResponse HealthChecks::Healthz(bool verbose) const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard lock(mu_);
    checks = health_;
  }
  return Run("healthz", checks, verbose);
}

HttpResponse HealthChecks::Readyz(bool verbose) const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard lock(mu_);
    checks = ready_;
  }
  return Run("readyz", checks, verbose);
}

HttpResponse HealthChecks::Run(std::string_view endpoint,
                               const std::vector<std::pair<std::string, Check>>& checks,
                               bool verbose) const {
  std::string report;
  bool failed = false;
  for (const auto& [name, check] : checks) {
    std::string reason;
    bool ok = false;
    try {
      auto s = check();
      ok = s.ok();
      if (!ok) reason = s.error().message;
    } catch (const std::exception& e) {
      reason = e.what();
    } catch (...) {
      reason = "check threw";
    }
    failed |= !ok;
    if (ok) {
      report += "[+]" + name + " ok\n";
    } else {
      report += "[-]" + name + " failed: " + (verbose ? reason : "reason withheld") + "\n";
    }
  }
  if (failed)
    return {503, "text/plain; charset=utf-8", report + std::string(endpoint) + " check failed\n"};
  if (verbose)
    return {200, "text/plain; charset=utf-8", report + std::string(endpoint) + " check passed\n"};
  return {200, "text/plain; charset=utf-8", "ok"};
}

namespace {
bool Verbose(const HttpRequest& r) {
  return r.query == "verbose" || r.query.starts_with("verbose=") ||
         r.query.find("&verbose") != std::string::npos;
}
}  // namespace

HttpRoutes MetricsRoutes(const Registry& registry) {
  return {{"/metrics", [&registry](const HttpRequest&) {
             return HttpResponse{200, std::string(kMetricsContentType), registry.Render()};
           }}};
}

HttpRoutes ProbeRoutes(const HealthChecks& checks) {
  return {{"/healthz", [&checks](const HttpRequest& r) { return checks.Healthz(Verbose(r)); }},
          {"/readyz", [&checks](const HttpRequest& r) { return checks.Readyz(Verbose(r)); }}};
}

HttpRoutes MergeRoutes(HttpRoutes a, const HttpRoutes& b) {
  for (const auto& [path, handler] : b) a[path] = handler;
  return a;
}

}  // namespace agentfleet::obs
