#include "controller/obs/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "controller/base/redact.h"
#include "controller/obs/json_string.h"
#include "controller/obs/text_format.h"

namespace agentfleet::obs {

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

LogSink StderrSink() {
  return [](std::string_view line) {
    std::string buf;
    buf.reserve(line.size() + 1);
    buf.append(line);
    buf += '\n';
    // One write(2) per line keeps lines whole even with other writers on stderr.
    std::size_t off = 0;
    while (off < buf.size()) {
      auto n = ::write(STDERR_FILENO, buf.data() + off, buf.size() - off);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  };
}

std::string FormatTimestamp(Clock::Wall t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day ymd(day);
  hh_mm_ss hms(ms - day);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

struct Logger::Core {
  std::atomic<int> level;
  LogSink sink;
  const Clock* clock;
  std::mutex mu;  // guards redactor and serializes the sink
  Redactor redactor;
};

Logger::Logger() : Logger(LoggerOptions{}) {}

Logger::Logger(LoggerOptions options)
    : core_(std::make_shared<Core>()), ctx_(std::make_shared<Context>()) {
  core_->level = static_cast<int>(options.level);
  core_->sink = options.sink ? std::move(options.sink) : StderrSink();
  core_->clock = options.clock ? options.clock : &RealClock::Instance();
}

Logger Logger::WithController(std::string_view controller) const {
  Logger l = *this;
  auto ctx = std::make_shared<Context>(*ctx_);
  ctx->controller = std::string(controller);
  l.ctx_ = std::move(ctx);
  return l;
}

Logger Logger::WithObject(std::string_view ns, std::string_view name) const {
  Logger l = *this;
  auto ctx = std::make_shared<Context>(*ctx_);
  if (!ns.empty()) ctx->ns = std::string(ns);
  ctx->name = std::string(name);
  l.ctx_ = std::move(ctx);
  return l;
}

Logger Logger::WithReconcileID(std::string_view reconcile_id) const {
  Logger l = *this;
  auto ctx = std::make_shared<Context>(*ctx_);
  ctx->reconcile_id = std::string(reconcile_id);
  l.ctx_ = std::move(ctx);
  return l;
}

Logger Logger::WithValues(std::initializer_list<Field> fields) const {
  Logger l = *this;
  auto ctx = std::make_shared<Context>(*ctx_);
  ctx->values.insert(ctx->values.end(), fields.begin(), fields.end());
  l.ctx_ = std::move(ctx);
  return l;
}

bool Logger::Enabled(Level level) const noexcept {
  return static_cast<int>(level) >= core_->level.load(std::memory_order_relaxed);
}

void Logger::SetLevel(Level level) const noexcept {
  core_->level.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level Logger::level() const noexcept {
  return static_cast<Level>(core_->level.load());
}

void Logger::AddSecret(std::string value) const {
  std::lock_guard lock(core_->mu);
  core_->redactor.Add(std::move(value));
}

void Logger::Log(Level level, std::string_view msg,
                 std::initializer_list<Field> fields) const noexcept {
  if (!Enabled(level)) return;
  Write(level, msg, fields.begin(), fields.end());
}

void Logger::Log(Level level, std::string_view msg,
                 const std::vector<Field>& fields) const noexcept {
  if (!Enabled(level)) return;
  Write(level, msg, fields.data(), fields.data() + fields.size());
}

namespace {

// Keys the line itself uses; a field with one of these names is renamed so it
// cannot shadow them.
bool IsReservedKey(std::string_view key) {
  return key == "ts" || key == "level" || key == "msg";
}

}  // namespace

void Logger::Write(Level level, std::string_view msg, const Field* begin,
                   const Field* end) const noexcept {
  try {
    std::lock_guard lock(core_->mu);
    const Redactor& redactor = core_->redactor;
    auto str = [&](std::string& out, std::string_view s) {
      if (redactor.empty()) {
        AppendJsonString(out, s);
      } else {
        AppendJsonString(out, redactor.Redact(s));
      }
    };
    std::string line;
    line.reserve(256);
    line += "{\"ts\":\"";
    line += FormatTimestamp(core_->clock->WallNow());
    line += "\",\"level\":\"";
    line += LevelName(level);
    line += "\",\"msg\":";
    str(line, msg);
    auto key = [&](std::string_view k) {
      line += ',';
      if (IsReservedKey(k)) {
        AppendJsonString(line, "field." + std::string(k));
      } else {
        AppendJsonString(line, k);
      }
      line += ':';
    };
    auto field = [&](const Field& f) {
      key(f.key);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
              str(line, v);
            } else if constexpr (std::is_same_v<T, bool>) {
              line += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
              if (std::isfinite(v)) {
                AppendValue(line, v);
              } else {
                str(line, FormatValue(v));  // JSON has no Inf or NaN
              }
            } else {
              line += std::to_string(v);
            }
          },
          f.value);
    };
    auto context = [&](std::string_view k, const std::optional<std::string>& v) {
      if (!v) return;
      line += ",\"";
      line += k;
      line += "\":";
      str(line, *v);
    };
    context("controller", ctx_->controller);
    context("namespace", ctx_->ns);
    context("name", ctx_->name);
    context("reconcileID", ctx_->reconcile_id);
    for (const auto& f : ctx_->values) field(f);
    for (const Field* f = begin; f != end; ++f) field(*f);
    line += '}';
    core_->sink(line);
  } catch (...) {
    // Logging must never take the process down; a lost line is the lesser harm.
  }
}

}  // namespace agentfleet::obs
