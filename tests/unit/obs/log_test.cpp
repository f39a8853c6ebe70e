#include "controller/obs/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace agentfleet::obs {
namespace {

using nlohmann::json;

struct Captured {
  std::mutex mu;
  std::vector<std::string> lines;
  LogSink Sink() {
    return [this](std::string_view line) {
      std::lock_guard lock(mu);
      lines.emplace_back(line);
    };
  }
  json Last() { return json::parse(lines.back()); }
};

TEST(Log, WritesOneJsonObjectWithTimestampLevelMessageAndFields) {
  FakeClock clock;
  clock.Advance(std::chrono::milliseconds(90061001));  // 1 day 01:01:01.001
  Captured out;
  Logger log({.level = Level::kInfo, .sink = out.Sink(), .clock = &clock});
  log.Info("scaled", {{"from", 2}, {"to", 4u}, {"ratio", 0.5}, {"paused", false}, {"by", "hpa"}});
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0].find('\n'), std::string::npos);
  auto j = out.Last();
  EXPECT_EQ(j["ts"], "2026-01-02T01:01:01.001Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "scaled");
  EXPECT_EQ(j["from"], 2);
  EXPECT_EQ(j["to"], 4);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_EQ(j["paused"], false);
  EXPECT_EQ(j["by"], "hpa");
  // ts, level and msg lead, as log shippers expect.
  EXPECT_TRUE(
      out.lines[0].starts_with("{\"ts\":\"2026-01-02T01:01:01.001Z\",\"level\":\"info\","
                               "\"msg\":\"scaled\""))
      << out.lines[0];
}

TEST(Log, ContextFieldsAreCarriedByDerivedLoggers) {
  Captured out;
  Logger log({.sink = out.Sink()});
  auto rlog = log.WithController("pricingagentfleet")
                  .WithObject("shop", "eu")
                  .WithReconcileID("abc-123")
                  .WithValues({{"attempt", 3}});
  rlog.Warn("slow");
  auto j = out.Last();
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["controller"], "pricingagentfleet");
  EXPECT_EQ(j["namespace"], "shop");
  EXPECT_EQ(j["name"], "eu");
  EXPECT_EQ(j["reconcileID"], "abc-123");
  EXPECT_EQ(j["attempt"], 3);
  log.Info("plain");
  auto p = out.Last();
  EXPECT_FALSE(p.contains("controller"));
  EXPECT_FALSE(p.contains("reconcileID"));
}

TEST(Log, ThresholdFiltersAndIsSharedByCopies) {
  Captured out;
  Logger log({.level = Level::kWarn, .sink = out.Sink()});
  auto child = log.WithController("c");
  log.Debug("d");
  log.Info("i");
  child.Warn("w");
  log.Error("e", {{"error", MakeError(ErrorCode::kConflict, "stale")}});
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(json::parse(out.lines[1])["error"], "Conflict: stale");
  EXPECT_FALSE(child.Enabled(Level::kInfo));
  child.SetLevel(Level::kDebug);
  log.Debug("now visible");
  EXPECT_EQ(out.lines.size(), 3u);
  EXPECT_EQ(log.level(), Level::kDebug);
}

TEST(Log, LevelsParseAsTheFlagSpellsThem) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("info"), Level::kInfo);
  EXPECT_EQ(ParseLevel("warn"), Level::kWarn);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_EQ(ParseLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLevel("INFO"), std::nullopt);
  for (auto l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    EXPECT_EQ(ParseLevel(LevelName(l)), l);
  }
}

TEST(Log, AnyBytesStillMakeValidJson) {
  Captured out;
  Logger log({.sink = out.Sink()});
  std::string nasty = "quote\" back\\ nl\n tab\t bell\x07 bad\xff\xfe utf8 é 日本 \xed\xa0\x80";
  log.Info(nasty, {{"k\"ey", nasty}, {"inf", HUGE_VAL}});
  json j;
  ASSERT_NO_THROW(j = out.Last()) << out.lines.back();
  EXPECT_EQ(j["msg"].get<std::string>().substr(0, 21), "quote\" back\\ nl\n tab\t");
  EXPECT_NE(j["msg"].get<std::string>().find("é 日本"), std::string::npos);
  EXPECT_EQ(j["inf"], "+Inf");
  EXPECT_TRUE(j.contains("k\"ey"));
}

TEST(Log, ReservedKeysCannotBeShadowed) {
  Captured out;
  Logger log({.sink = out.Sink()});
  log.Info("real", {{"msg", "fake"}, {"level", "fake"}});
  auto j = out.Last();
  EXPECT_EQ(j["msg"], "real");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["field.msg"], "fake");
}

TEST(Log, PlantedSecretNeverReachesTheSink) {
  const std::string secret = "s3cr3t-T0KEN-\"quoted\"-value";
  Captured out;
  Logger log({.level = Level::kDebug, .sink = out.Sink()});
  log.AddSecret(secret);
  log.AddSecret("");  // ignored, must not blank every line
  auto l = log.WithController("c" + secret).WithValues({{"auth", "Bearer " + secret}});
  l.Error("login failed with " + secret, {{"header", "Authorization: Bearer " + secret}});
  l.Debug(secret);
  ASSERT_EQ(out.lines.size(), 2u);
  for (const auto& line : out.lines) {
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
    EXPECT_TRUE(json::accept(line)) << line;
  }
  auto j = json::parse(out.lines[0]);
  EXPECT_EQ(j["msg"], "login failed with [REDACTED]");
  EXPECT_EQ(j["auth"], "Bearer [REDACTED]");
}

TEST(Log, ConcurrentWritersProduceWholeLines) {
  Captured out;
  Logger log({.sink = out.Sink()});
  constexpr int kThreads = 4, kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto l = log.WithValues({{"thread", t}});
      for (int i = 0; i < kLines; ++i) l.Info("line", {{"i", i}});
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(out.lines.size(), std::size_t{kThreads * kLines});
  for (const auto& line : out.lines) ASSERT_TRUE(json::accept(line)) << line;
}

TEST(Log, AThrowingSinkNeverEscapes) {
  Logger log({.sink = [](std::string_view) { throw std::runtime_error("disk full"); }});
  EXPECT_NO_THROW(log.Error("lost"));
}

TEST(Log, TimestampFormat) {
  using namespace std::chrono;
  auto t = sys_days{year{2024} / 2 / 29} + hours(23) + minutes(59) + seconds(59) +
           milliseconds(999) + microseconds(900);
  EXPECT_EQ(FormatTimestamp(time_point_cast<system_clock::duration>(t)),
            "2024-02-29T23:59:59.999Z");
}

}  // namespace
}  // namespace agentfleet::obs
