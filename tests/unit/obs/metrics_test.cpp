#include "controller/obs/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

#include "controller/obs/text_format.h"
#include "tests/unit/obs/prom_parser.h"

namespace agentfleet::obs {
namespace {

testing::Exposition MustParse(const std::string& text) {
  std::string error;
  auto parsed = testing::Parse(text, error);
  EXPECT_TRUE(parsed.has_value()) << error << "\n" << text;
  return parsed.value_or(testing::Exposition{});
}

TEST(Metrics, CounterAndGaugeRoundTrip) {
  Registry r;
  auto& c = r.RegisterCounter("jobs_total", "Jobs done.", {"queue"});
  auto& g = r.RegisterGauge("temperature", "Now.");
  c.WithLabels({"a"}).Inc();
  c.WithLabels({"a"}).Inc(2.5);
  c.WithLabels({"b"}).Inc();
  c.WithLabels({"b"}).Inc(-7);  // ignored: counters never go down
  g.WithLabels({}).Set(-3.25);
  auto e = MustParse(r.Render());
  EXPECT_EQ(e.type["jobs_total"], "counter");
  EXPECT_EQ(e.type["temperature"], "gauge");
  EXPECT_EQ(e.help["jobs_total"], "Jobs done.");
  EXPECT_EQ(e.Value("jobs_total", {{"queue", "a"}}), 3.5);
  EXPECT_EQ(e.Value("jobs_total", {{"queue", "b"}}), 1.0);
  EXPECT_EQ(e.Value("temperature"), -3.25);
}

TEST(Metrics, ExactTextForAKnownRegistry) {
  Registry r;
  r.RegisterGauge("b_gauge", "Second.").WithLabels({}).Set(2);
  auto& c = r.RegisterCounter("a_total", "First.", {"x", "y"});
  c.WithLabels({"2", "z"}).Inc(5);
  c.WithLabels({"1", "z"}).Inc(1e6);
  EXPECT_EQ(r.Render(),
            "# HELP a_total First.\n"
            "# TYPE a_total counter\n"
            "a_total{x=\"1\",y=\"z\"} 1e+06\n"
            "a_total{x=\"2\",y=\"z\"} 5\n"
            "# HELP b_gauge Second.\n"
            "# TYPE b_gauge gauge\n"
            "b_gauge 2\n");
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  Registry r;
  auto& c = r.RegisterCounter("escapes_total", "Back\\slash and\nnewline \"quoted\".", {"v"});
  const std::string nasty = "a\\b\"c\nd}e,f=g";
  c.WithLabels({nasty}).Inc();
  std::string text = r.Render();
  EXPECT_NE(text.find(R"(escapes_total{v="a\\b\"c\nd}e,f=g"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(# HELP escapes_total Back\\slash and\nnewline "quoted".)"),
            std::string::npos)
      << text;
  auto e = MustParse(text);
  EXPECT_EQ(e.Value("escapes_total", {{"v", nasty}}), 1.0);
  EXPECT_EQ(e.help["escapes_total"], "Back\\slash and\nnewline \"quoted\".");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  auto& h = r.RegisterHistogram("latency_seconds", "Latency.", {"op"}, {0.1, 0.5, 1});
  auto& get = h.WithLabels({"get"});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0, 5.0}) get.Observe(v);
  auto e = MustParse(r.Render());
  EXPECT_EQ(e.type["latency_seconds"], "histogram");
  auto bucket = [&](std::string le) {
    return e.Value("latency_seconds_bucket", {{"op", "get"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.1"), 2.0);  // le is inclusive: 0.1 lands in 0.1
  EXPECT_EQ(bucket("0.5"), 3.0);
  EXPECT_EQ(bucket("1"), 4.0);
  EXPECT_EQ(bucket("+Inf"), 6.0);
  EXPECT_EQ(e.Value("latency_seconds_count", {{"op", "get"}}), 6.0);
  EXPECT_NEAR(*e.Value("latency_seconds_sum", {{"op", "get"}}), 8.15, 1e-9);

  // Buckets come in increasing order of le, +Inf last.
  std::vector<double> les;
  for (const auto& s : e.samples) {
    if (s.name == "latency_seconds_bucket") {
      std::string err;
      les.push_back(testing::ParseNumber(s.labels.at("le"), err));
    }
  }
  ASSERT_EQ(les.size(), 4u);
  EXPECT_TRUE(std::is_sorted(les.begin(), les.end()));
  EXPECT_TRUE(std::isinf(les.back()));
}

TEST(Metrics, HistogramWithoutLabelsAndNaN) {
  Registry r;
  auto& h = r.RegisterHistogram("plain", "Plain.", {}, {1}).WithLabels({});
  h.Observe(std::nan(""));
  h.Observe(0.5);
  auto e = MustParse(r.Render());
  EXPECT_EQ(e.Value("plain_bucket", {{"le", "1"}}), 1.0);
  EXPECT_EQ(e.Value("plain_bucket", {{"le", "+Inf"}}), 2.0);
  EXPECT_EQ(e.Value("plain_count"), 2.0);
}

TEST(Metrics, FamiliesWithoutChildrenAreOmitted) {
  Registry r;
  r.RegisterCounter("unused_total", "Never touched.", {"x"});
  EXPECT_EQ(r.Render(), "");
}

TEST(Metrics, OutputIsSortedAndStable) {
  Registry r;
  auto& c = r.RegisterCounter("z_total", "Z.", {"k"});
  for (auto k : {"m", "b", "x", "a"}) c.WithLabels({k}).Inc();
  r.RegisterGauge("a_gauge", "A.").WithLabels({}).Set(1);
  std::string first = r.Render();
  EXPECT_EQ(first, r.Render());
  auto e = MustParse(first);
  ASSERT_EQ(e.samples.size(), 5u);
  EXPECT_EQ(e.samples[0].name, "a_gauge");
  std::vector<std::string> ks;
  for (std::size_t i = 1; i < e.samples.size(); ++i) ks.push_back(e.samples[i].labels["k"]);
  EXPECT_EQ(ks, (std::vector<std::string>{"a", "b", "m", "x"}));
}

TEST(Metrics, ReRegisteringTheSameDefinitionSharesTheFamily) {
  Registry r;
  auto& a = r.RegisterCounter("shared_total", "Shared.", {"name"});
  auto& b = r.RegisterCounter("shared_total", "Shared.", {"name"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.RegisterGauge("shared_total", "Shared.", {"name"}), std::invalid_argument);
  EXPECT_THROW(r.RegisterCounter("shared_total", "Shared.", {"other"}), std::invalid_argument);
  r.RegisterHistogram("h", "H.", {}, {1, 2});
  EXPECT_THROW(r.RegisterHistogram("h", "H.", {}, {1, 3}), std::invalid_argument);
}

TEST(Metrics, MisuseIsRejected) {
  Registry r;
  EXPECT_THROW(r.RegisterCounter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.RegisterCounter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.RegisterHistogram("h2", "x", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.RegisterHistogram("h3", "x", {}, {2, 1}), std::invalid_argument);
  auto& c = r.RegisterCounter("arity_total", "x", {"a", "b"});
  EXPECT_THROW(c.WithLabels({"only-one"}), std::invalid_argument);
}

TEST(Metrics, ValueFormatting) {
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(1e-8), "1e-08");
  EXPECT_EQ(FormatValue(HUGE_VAL), "+Inf");
  EXPECT_EQ(FormatValue(-HUGE_VAL), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Metrics, BucketHelpers) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(LinearBuckets(0, 5, 3), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(DefaultBuckets().size(), 11u);
}

TEST(Metrics, CollectHooksRunBeforeRenderUntilReleased) {
  Registry r;
  auto& g = r.RegisterGauge("refreshed", "Set on scrape.").WithLabels({});
  int calls = 0;
  {
    auto hook = r.AddCollectHook([&] { g.Set(++calls); });
    EXPECT_EQ(MustParse(r.Render()).Value("refreshed"), 1.0);
    EXPECT_EQ(MustParse(r.Render()).Value("refreshed"), 2.0);
  }
  r.Render();
  EXPECT_EQ(calls, 2);
}

TEST(Metrics, ConcurrentUpdatesAndScrapesAreConsistent) {
  Registry r;
  auto& c = r.RegisterCounter("hits_total", "Hits.", {"t"});
  auto& h = r.RegisterHistogram("obs", "Obs.", {"t"}, {0.5});
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done) {
      auto e = MustParse(r.Render());
      for (int t = 0; t < kThreads; ++t) {
        std::map<std::string, std::string> l{{"t", std::to_string(t)}};
        auto count = e.Value("obs_count", l);
        auto inf = e.Value("obs_bucket", {{"t", std::to_string(t)}, {"le", "+Inf"}});
        if (count) {
          ASSERT_EQ(count, inf);
        }
      }
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = c.WithLabels({std::to_string(t)});
      auto& hist = h.WithLabels({std::to_string(t)});
      for (int i = 0; i < kPerThread; ++i) {
        mine.Inc();
        c.WithLabels({"shared"}).Inc();
        hist.Observe(i % 2 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  scraper.join();
  auto e = MustParse(r.Render());
  EXPECT_EQ(e.Value("hits_total", {{"t", "shared"}}), double(kThreads * kPerThread));
  EXPECT_EQ(e.Value("obs_bucket", {{"t", "0"}, {"le", "0.5"}}), double(kPerThread / 2));
}

}  // namespace
}  // namespace agentfleet::obs
