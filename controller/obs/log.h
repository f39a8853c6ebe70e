#pragma once

// Structured logs: one JSON object a line, as kubebuilder-made operators emit
// with --zap-encoder=json, so log pipelines parse them without configuration.
//
//   {"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"scaled",
//    "controller":"pricingagentfleet","namespace":"shop","name":"eu",
//    "reconcileID":"3f0c…","replicas":4}
//
// A Logger is a cheap handle: copies share one core (threshold, sink, known
// secrets) and carry their own context. Logging never throws and is safe from
// any thread; lines are written whole, never interleaved.
//
//   obs::Logger log({.level = obs::Level::kInfo});
//   auto rlog = log.WithController("pricingagentfleet").WithObject("shop", "eu");
//   rlog.Info("scaled", {{"from", 2}, {"to", 4}});

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "controller/base/clock.h"
#include "controller/base/result.h"

namespace agentfleet::obs {

// Ordered by severity; names match the --log-level flag.
enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" or "error"; nullopt for anything else.
std::optional<Level> ParseLevel(std::string_view name);
std::string_view LevelName(Level level);

// One key/value of a log line. Strings, integers, floating point, booleans and
// Errors (written as their ToString()).
struct Field {
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string(v ? v : "")) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  template <std::signed_integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view k, T v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view k, T v)
      : key(k), value(static_cast<std::uint64_t>(v)) {}
  template <std::floating_point T>
  Field(std::string_view k, T v) : key(k), value(static_cast<double>(v)) {}
  Field(std::string_view k, const Error& e) : key(k), value(e.ToString()) {}

  std::string key;
  Value value;
};

// Receives one complete JSON object, without the trailing newline. Calls are
// serialized by the logger, so a sink needs no locking of its own.
using LogSink = std::function<void(std::string_view line)>;

// Writes each line plus '\n' to stderr with a single write.
LogSink StderrSink();

struct LoggerOptions {
  Level level = Level::kInfo;
  LogSink sink{};                // empty: StderrSink()
  const Clock* clock = nullptr;  // empty: the real clock; only WallNow() is read
};

class Logger {
 public:
  Logger();  // info and above, to stderr
  explicit Logger(LoggerOptions options);

  // A logger whose lines also carry the given context. The original is unchanged.
  Logger WithController(std::string_view controller) const;
  Logger WithObject(std::string_view ns, std::string_view name) const;
  Logger WithReconcileID(std::string_view reconcile_id) const;
  Logger WithValues(std::initializer_list<Field> fields) const;

  void Debug(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    Log(Level::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    Log(Level::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    Log(Level::kWarn, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<Field> fields = {}) const noexcept {
    Log(Level::kError, msg, fields);
  }
  void Log(Level level, std::string_view msg, std::initializer_list<Field> fields) const noexcept;
  void Log(Level level, std::string_view msg, const std::vector<Field>& fields) const noexcept;

  // Whether a line at `level` would be written; lets callers skip costly fields.
  bool Enabled(Level level) const noexcept;

  // Changes the threshold of every logger sharing this core.
  void SetLevel(Level level) const noexcept;
  Level level() const noexcept;

  // From now on `value` is hidden in every line of this core (message,
  // context, field values) as agentfleet::Redactor hides it: written as
  // [REDACTED]; a very short value only where it stands alone. Register
  // tokens, passwords and keys as soon as they are read.
  void AddSecret(std::string value) const;

 private:
  struct Core;
  struct Context {
    std::optional<std::string> controller, ns, name, reconcile_id;
    std::vector<Field> values;
  };
  void Write(Level level, std::string_view msg, const Field* begin,
             const Field* end) const noexcept;

  std::shared_ptr<Core> core_;
  std::shared_ptr<const Context> ctx_;
};

// RFC 3339 in UTC with milliseconds: 2026-01-01T00:00:00.000Z
std::string FormatTimestamp(Clock::Wall t);

}  // namespace agentfleet::obs
