#include "examples/agent/agent_options.h"

#include <charconv>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

namespace agentfleet::agent {
namespace {

using Setter = std::function<std::string(AgentOptions&, std::string_view)>;

struct Flag {
  std::string_view name;
  std::string_view env;  // empty: no variable
  bool boolean;
  std::string_view help;
  Setter set;
  std::function<std::string(const AgentOptions&)> show_default;
};

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "true" || v == "1" || v == "t" || v == "TRUE" || v == "True") return true;
  if (v == "false" || v == "0" || v == "f" || v == "FALSE" || v == "False") return false;
  return std::nullopt;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

Setter String(std::string AgentOptions::*field, bool required_non_empty = false) {
  return [field, required_non_empty](AgentOptions& o, std::string_view v) {
    if (required_non_empty && v.empty()) return std::string("must not be empty");
    o.*field = v;
    return std::string();
  };
}

Setter Duration(std::chrono::milliseconds AgentOptions::*field, std::chrono::milliseconds min) {
  return [field, min](AgentOptions& o, std::string_view v) {
    std::chrono::milliseconds d{};
    std::string err;
    if (!ParseDuration(v, d, err)) return err;
    if (d < min) return "must be at least " + FormatDuration(min);
    o.*field = d;
    return std::string();
  };
}

Setter Int(int AgentOptions::*field, int min, int max) {
  return [field, min, max](AgentOptions& o, std::string_view v) {
    int i = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
    if (ec != std::errc() || ptr != v.data() + v.size() || i < min || i > max) {
      return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    }
    o.*field = i;
    return std::string();
  };
}

std::string ValidateBindAddress(std::string_view v) {
  if (v == "0") return "";
  auto colon = v.rfind(':');
  if (colon == std::string_view::npos) return "must be host:port, :port or 0";
  auto port = v.substr(colon + 1);
  int p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    return "port must be a number from 0 to 65535";
  }
  return "";
}

const std::vector<Flag>& Flags() {
  using O = AgentOptions;
  static const std::vector<Flag> flags = {
      {"pod-name", "POD_NAME", false,
       "This agent's Pod name (downward API metadata.name). Required. The lease holder id is "
       "<pod-name>/<random suffix>, new for every process start.",
       String(&O::pod_name, true), [](const O&) { return std::string(); }},
      {"namespace", "POD_NAMESPACE", false, "This agent's Pod namespace.",
       String(&O::namespace_name, true), [](const O& o) { return o.namespace_name; }},
      {"fleet", "AGENTFLEET_FLEET", false,
       "The fleet's name in the lease table and the result store. Required.",
       String(&O::fleet, true), [](const O&) { return std::string(); }},
      {"shards", "AGENTFLEET_SHARDS", false, "S, the fleet's shard count (1 to 65536). Required.",
       [](O& o, std::string_view v) {
         uint32_t s = 0;
         auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
         if (ec != std::errc() || ptr != v.data() + v.size() || s < 1 || s > 65536) {
           return std::string("must be a whole number from 1 to 65536");
         }
         o.shards = s;
         return std::string();
       },
       [](const O&) { return std::string(); }},
      {"lease-store", "AGENTFLEET_LEASE_STORE", false,
       "Lease table URL: redis://, rediss:// or postgresql:// (password: "
       "$AGENTFLEET_LEASE_STORE_PASSWORD). Required.",
       String(&O::lease_store_url, true), [](const O&) { return std::string(); }},
      {"lease-duration", "AGENTFLEET_LEASE_DURATION", false,
       "Lease TTL (e.g. 15s, 500ms); leases are renewed every third of it.",
       Duration(&O::lease_duration, std::chrono::milliseconds(300)),
       [](const O& o) { return FormatDuration(o.lease_duration); }},
      {"lease-key-prefix", "AGENTFLEET_LEASE_KEY_PREFIX", false,
       "Prefix of the Redis keys of the lease table and the result store: the fleet's "
       "spec.leases.redis.keyPrefix, which the operator reads too.",
       String(&O::lease_key_prefix, true), [](const O& o) { return o.lease_key_prefix; }},
      {"result-store", "AGENTFLEET_RESULT_STORE", false,
       "Fenced result store URL (password: $AGENTFLEET_RESULT_STORE_PASSWORD). Empty: the "
       "lease store's URL.",
       String(&O::result_store_url), [](const O&) { return std::string(); }},
      {"queue-url", "AGENTFLEET_QUEUE_URL", false,
       "Redis holding the task streams (password: $AGENTFLEET_QUEUE_PASSWORD). Required.",
       String(&O::queue_url, true), [](const O&) { return std::string(); }},
      {"queue-prefix", "AGENTFLEET_QUEUE_PREFIX", false,
       "Task stream prefix: shard s reads the stream <prefix>:<s>.", String(&O::queue_prefix, true),
       [](const O& o) { return o.queue_prefix; }},
      {"queue-group", "AGENTFLEET_QUEUE_GROUP", false, "Consumer group of the task streams.",
       String(&O::queue_group, true), [](const O& o) { return o.queue_group; }},
      {"batch-size", "AGENTFLEET_BATCH_SIZE", false,
       "Tasks read per shard and round trip (XREADGROUP COUNT).", Int(&O::batch_size, 1, 10'000),
       [](const O& o) { return std::to_string(o.batch_size); }},
      {"block", "AGENTFLEET_BLOCK", false, "How long one XREADGROUP waits for new tasks.",
       Duration(&O::block, std::chrono::milliseconds(1)),
       [](const O& o) { return FormatDuration(o.block); }},
      {"claim-min-idle", "AGENTFLEET_CLAIM_MIN_IDLE", false,
       "Pending tasks of a held shard idle this long are claimed (XAUTOCLAIM): the tasks of a "
       "killed or fenced-off agent.",
       Duration(&O::claim_min_idle, std::chrono::milliseconds(0)),
       [](const O& o) { return FormatDuration(o.claim_min_idle); }},
      {"task-time", "AGENTFLEET_TASK_TIME", false,
       "Simulated pricing work per task (0: none), for demos and load tests: a backlog then "
       "drains at about 1/task-time tasks per second and agent.",
       Duration(&O::task_time, std::chrono::milliseconds(0)),
       [](const O& o) { return FormatDuration(o.task_time); }},
      {"assignment-file", "AGENTFLEET_ASSIGNMENT_FILE", false,
       "The downward-API annotations file (metadata.annotations), re-read every "
       "--poll-interval. Exactly one of this and --assignment-from-api.",
       String(&O::assignment_file), [](const O&) { return std::string(); }},
      {"assignment-from-api", "", true,
       "Watch this agent's own Pod through the API (kubeconfig from --kubeconfig, then "
       "$KUBECONFIG, then in-cluster) for the assignment annotations.",
       [](O& o, std::string_view v) {
         auto b = ParseBool(v);
         if (!b) return std::string("must be true or false");
         o.assignment_from_api = *b;
         return std::string();
       },
       [](const O&) { return std::string("false"); }},
      {"kubeconfig", "", false, "Path to a kubeconfig for --assignment-from-api.",
       String(&O::kubeconfig), [](const O&) { return std::string(); }},
      {"poll-interval", "AGENTFLEET_POLL_INTERVAL", false,
       "How often the assignment file is re-read.",
       Duration(&O::poll_interval, std::chrono::milliseconds(10)),
       [](const O& o) { return FormatDuration(o.poll_interval); }},
      {"tick", "AGENTFLEET_TICK", false,
       "How often shards held by another agent are tried again (the hand-off).",
       Duration(&O::tick, std::chrono::milliseconds(10)),
       [](const O& o) { return FormatDuration(o.tick); }},
      {"metrics-bind-address", "AGENTFLEET_METRICS_BIND_ADDRESS", false,
       "Address serving /metrics and /healthz; 0 turns it off.",
       [](O& o, std::string_view v) {
         auto err = ValidateBindAddress(v);
         if (err.empty()) o.metrics_bind_address = v;
         return err;
       },
       [](const O& o) { return o.metrics_bind_address; }},
      {"log-level", "AGENTFLEET_LOG_LEVEL", false,
       "Least severe level logged: debug, info, warn or error.",
       [](O& o, std::string_view v) {
         if (v != "debug" && v != "info" && v != "warn" && v != "error") {
           return std::string("must be one of debug, info, warn, error");
         }
         o.log_level = v;
         return std::string();
       },
       [](const O& o) { return o.log_level; }},
  };
  return flags;
}

const Flag* FindFlag(std::string_view name) {
  for (const auto& f : Flags()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

AgentParseResult Fail(std::string message) {
  AgentParseResult r;
  r.kind = AgentParseResult::Kind::kError;
  r.error = std::move(message);
  return r;
}

}  // namespace

bool ParseDuration(std::string_view text, std::chrono::milliseconds& out, std::string& error) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(ptr, text.data() + text.size() - ptr);
  if (ec != std::errc() || ptr == text.data() || n < 0) {
    error = "must be a duration such as 500ms, 15s, 2m or 1h";
    return false;
  }
  int64_t factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    error = "must be a duration such as 500ms, 15s, 2m or 1h (units ms, s, m, h)";
    return false;
  }
  if (n > (int64_t{1} << 40) / factor) {
    error = "is too long";
    return false;
  }
  out = std::chrono::milliseconds(n * factor);
  return true;
}

AgentParseResult ParseAgentOptions(std::span<const std::string_view> args,
                                   const std::map<std::string, std::string>& env) {
  AgentParseResult result;
  // Environment first, flags over it.
  for (const auto& f : Flags()) {
    if (f.env.empty()) continue;
    auto it = env.find(std::string(f.env));
    if (it == env.end() || it->second.empty()) continue;
    if (auto err = f.set(result.options, it->second); !err.empty()) {
      return Fail("invalid value \"" + it->second + "\" in $" + std::string(f.env) + ": " + err);
    }
  }
  auto secret = [&env](const char* name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  result.options.lease_store_password = secret("AGENTFLEET_LEASE_STORE_PASSWORD");
  result.options.result_store_password = secret("AGENTFLEET_RESULT_STORE_PASSWORD");
  result.options.queue_password = secret("AGENTFLEET_QUEUE_PASSWORD");

  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.kind = AgentParseResult::Kind::kHelp;
      return result;
    }
    if (arg == "--version") {
      result.kind = AgentParseResult::Kind::kVersion;
      return result;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      return Fail("unexpected argument \"" + std::string(arg) + "\": flags start with --");
    }
    std::string_view body = arg.substr(2);
    std::optional<std::string_view> value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const Flag* flag = FindFlag(body);
    if (flag == nullptr) return Fail("unknown flag --" + std::string(body));
    if (!value) {
      if (flag->boolean) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Fail("flag --" + std::string(body) + " needs a value");
      }
    }
    if (auto err = flag->set(result.options, *value); !err.empty()) {
      // A store URL may carry a password: never echo the value of one.
      const bool url = body == "lease-store" || body == "result-store" || body == "queue-url";
      return Fail(
          (url ? std::string("invalid value") : "invalid value \"" + std::string(*value) + "\"") +
          " for --" + std::string(body) + ": " + err);
    }
  }

  const AgentOptions& o = result.options;
  if (o.pod_name.empty()) return Fail("--pod-name (or $POD_NAME) is required");
  if (o.fleet.empty()) return Fail("--fleet (or $AGENTFLEET_FLEET) is required");
  if (o.shards == 0) return Fail("--shards (or $AGENTFLEET_SHARDS) is required");
  if (o.lease_store_url.empty()) {
    return Fail("--lease-store (or $AGENTFLEET_LEASE_STORE) is required");
  }
  if (o.queue_url.empty()) return Fail("--queue-url (or $AGENTFLEET_QUEUE_URL) is required");
  if (o.assignment_file.empty() == !o.assignment_from_api) {
    return Fail("exactly one of --assignment-file and --assignment-from-api is required");
  }
  return result;
}

std::string AgentUsage(std::string_view program) {
  std::ostringstream out;
  AgentOptions defaults;
  out << "Usage: " << program << " [flags]\n\n"
      << "The reference pricing agent of agentfleet: reads its shard assignment, holds the\n"
      << "leases of its shards, reprices the tasks of their streams and writes the results\n"
      << "fenced by lease token. Each flag may also come from the environment variable shown;\n"
      << "the flag wins.\n\nFlags:\n";
  for (const auto& f : Flags()) {
    out << "  --" << f.name;
    if (!f.boolean) out << " value";
    if (!f.env.empty()) out << "   [$" << f.env << "]";
    out << "\n      " << f.help;
    auto d = f.show_default(defaults);
    if (!d.empty()) out << " (default \"" << d << "\")";
    out << "\n";
  }
  out << "  --help\n      Print this help and exit.\n"
      << "  --version\n      Print the version and exit.\n\n"
      << "Environment only: AGENTFLEET_LEASE_STORE_PASSWORD, AGENTFLEET_RESULT_STORE_PASSWORD,\n"
      << "AGENTFLEET_QUEUE_PASSWORD (each wins over a password in its URL), KUBECONFIG.\n"
      << "Exit codes: 0 after SIGTERM/SIGINT and a clean release; 1 on a start-up failure;\n"
      << "2 on bad flags.\n";
  return out.str();
}

}  // namespace agentfleet::agent
