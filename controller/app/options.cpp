#include "controller/app/options.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "controller/obs/bind_address.h"

namespace agentfleet::app {
namespace {

enum class FlagType { kString, kBool, kDouble, kInt };

struct Flag {
  std::string_view name;
  FlagType type;
  std::string_view help;
  // Stores the value; returns an error message (without the flag name) or "".
  std::function<std::string(Options&, std::string_view)> set;
  std::function<std::string(const Options&)> show_default;
};

// The address grammar is the HTTP server's own, so a flag that parses here
// always binds there.
std::string ValidateBindAddress(std::string_view v) {
  if (obs::IsBindAddressDisabled(v)) return "";
  auto parsed = obs::ParseBindAddress(v);
  return parsed.ok() ? "" : parsed.error().message;
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "true" || v == "1" || v == "t" || v == "TRUE" || v == "True") return true;
  if (v == "false" || v == "0" || v == "f" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

const std::vector<Flag>& Flags() {
  static const std::vector<Flag> flags = {
      {"kubeconfig", FlagType::kString,
       "Path to a kubeconfig. Empty: $KUBECONFIG, then the in-cluster configuration.",
       [](Options& o, std::string_view v) {
         o.kubeconfig = v;
         return std::string();
       },
       [](const Options& o) { return o.kubeconfig; }},
      {"namespace", FlagType::kString, "Namespace whose fleets are managed. Empty: all namespaces.",
       [](Options& o, std::string_view v) {
         o.namespace_scope = v;
         return std::string();
       },
       [](const Options& o) { return o.namespace_scope; }},
      {"metrics-bind-address", FlagType::kString,
       "Address the /metrics endpoint binds to; 0 turns it off.",
       [](Options& o, std::string_view v) {
         auto err = ValidateBindAddress(v);
         if (err.empty()) o.metrics_bind_address = v;
         return err;
       },
       [](const Options& o) { return o.metrics_bind_address; }},
      {"health-probe-bind-address", FlagType::kString,
       "Address the /healthz and /readyz endpoints bind to; 0 turns them off.",
       [](Options& o, std::string_view v) {
         auto err = ValidateBindAddress(v);
         if (err.empty()) o.health_probe_bind_address = v;
         return err;
       },
       [](const Options& o) { return o.health_probe_bind_address; }},
      {"leader-elect", FlagType::kBool,
       "Elect a leader through a coordination.k8s.io Lease; only the leader reconciles.",
       [](Options& o, std::string_view v) {
         auto b = ParseBool(v);
         if (!b) return std::string("must be true or false");
         o.leader_elect = *b;
         return std::string();
       },
       [](const Options& o) { return std::string(o.leader_elect ? "true" : "false"); }},
      {"leader-election-namespace", FlagType::kString,
       "Namespace of the leader-election Lease. Empty: the operator's own namespace.",
       [](Options& o, std::string_view v) {
         o.leader_election_namespace = v;
         return std::string();
       },
       [](const Options& o) { return o.leader_election_namespace; }},
      {"leader-election-id", FlagType::kString,
       "Name of the leader-election Lease: operators that share one must manage the same "
       "fleets; two installations in one namespace need two names.",
       [](Options& o, std::string_view v) {
         if (v.empty()) return std::string("must not be empty");
         o.leader_election_id = v;
         return std::string();
       },
       [](const Options& o) { return o.leader_election_id; }},
      {"kube-api-qps", FlagType::kDouble,
       "Sustained requests per second to the API server (client-side token bucket).",
       [](Options& o, std::string_view v) {
         double d = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
         if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(d) || d <= 0) {
           return std::string("must be a number greater than 0");
         }
         o.kube_api_qps = d;
         return std::string();
       },
       [](const Options& o) {
         std::ostringstream s;
         s << o.kube_api_qps;
         return s.str();
       }},
      {"kube-api-burst", FlagType::kInt, "Burst of requests allowed above --kube-api-qps.",
       [](Options& o, std::string_view v) {
         int i = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
         if (ec != std::errc() || ptr != v.data() + v.size() || i < 1) {
           return std::string("must be a whole number of at least 1");
         }
         o.kube_api_burst = i;
         return std::string();
       },
       [](const Options& o) { return std::to_string(o.kube_api_burst); }},
      {"log-level", FlagType::kString, "Least severe level logged: debug, info, warn or error.",
       [](Options& o, std::string_view v) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return std::string("must be one of debug, info, warn, error");
         }
         o.log_level = v;
         return std::string();
       },
       [](const Options& o) { return o.log_level; }},
  };
  return flags;
}

const Flag* FindFlag(std::string_view name) {
  for (const auto& f : Flags()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ParseResult Error(std::string message) {
  ParseResult r;
  r.kind = ParseResult::Kind::kError;
  r.error = std::move(message);
  return r;
}

}  // namespace

ParseResult ParseOptions(std::span<const std::string_view> args) {
  ParseResult result;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.kind = ParseResult::Kind::kHelp;
      return result;
    }
    if (arg == "--version") {
      result.kind = ParseResult::Kind::kVersion;
      return result;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      return Error("unexpected argument \"" + std::string(arg) + "\": flags start with --");
    }
    std::string_view body = arg.substr(2);
    std::optional<std::string_view> value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const Flag* flag = FindFlag(body);
    if (flag == nullptr) return Error("unknown flag --" + std::string(body));
    if (!value) {
      if (flag->type == FlagType::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Error("flag --" + std::string(body) + " needs a value");
      }
    }
    if (auto err = flag->set(result.options, *value); !err.empty()) {
      return Error("invalid value \"" + std::string(*value) + "\" for --" + std::string(body) +
                   ": " + err);
    }
  }
  return result;
}

std::string Usage(std::string_view program) {
  std::ostringstream out;
  Options defaults;
  out << "Usage: " << program << " [flags]\n\n"
      << "Runs the agentfleet operator: reconciles PricingAgentFleet objects.\n\nFlags:\n";
  for (const auto& f : Flags()) {
    out << "  --" << f.name;
    if (f.type != FlagType::kBool) out << " value";
    out << "\n      " << f.help;
    auto d = f.show_default(defaults);
    if (!d.empty()) out << " (default \"" << d << "\")";
    out << "\n";
  }
  out << "  --help\n      Print this help and exit.\n"
      << "  --version\n      Print the version and exit.\n";
  return out.str();
}

}  // namespace agentfleet::app
