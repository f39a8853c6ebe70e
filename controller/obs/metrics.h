#pragma once

// A thread-safe metrics registry rendered in the Prometheus text exposition
// format 0.0.4, with the metric kinds and label vectors of client_golang so that
// controller-runtime's metric names and dashboards carry over unchanged.
//
//   obs::Registry registry;
//   auto& reconciles = registry.RegisterCounter(
//       "controller_runtime_reconcile_total", "Total number of reconciliations per controller",
//       {"controller", "result"});
//   reconciles.WithLabels({"fleet", "success"}).Inc();
//   std::string text = registry.Render();
//
// References returned by Register* and WithLabels stay valid for the life of
// the registry (unless the child is removed), so hot paths look a child up once
// and then update it lock-free (counters, gauges) or under a per-child lock
// (histograms).
//
// Misuse — an invalid metric or label name, a name registered twice with a
// different kind, labels or buckets, or a WithLabels call with the wrong number
// of values — is a programming error and throws std::invalid_argument.

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace agentfleet::obs {

// A value that only goes up. Lock-free.
class Counter {
 public:
  // Negative and NaN increments are ignored: a counter never goes down.
  void Inc(double delta = 1.0);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Lock-free.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Inc() { Add(1.0); }
  void Dec() { Add(-1.0); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound (`le`, inclusive), plus their
// sum and count. A snapshot is always consistent: count equals the +Inf bucket.
class Histogram {
 public:
  // `upper_bounds` must be strictly increasing and finite; +Inf is implicit.
  explicit Histogram(std::shared_ptr<const std::vector<double>> upper_bounds);

  // NaN is counted in +Inf only, as client_golang does.
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative;  // one per upper bound; +Inf is `count`
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Snap() const;

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;  // per bucket, non-cumulative; last is +Inf
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

enum class MetricType { kCounter, kGauge, kHistogram };

// The part of a family the registry renders, independent of the metric kind.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends this family in text format; nothing when it has no children yet.
  virtual void Render(std::string& out) const = 0;

 protected:
  void CheckArity(std::size_t values) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// A metric with a fixed list of label names: one child per distinct list of
// label values (a "vector" in client_golang). A family without label names has
// exactly one child, reachable with WithLabels({}).
template <typename M>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<M>()>;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         Factory factory)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        factory_(std::move(factory)) {
    if (this->label_names().empty()) WithLabels({});
  }

  // The child for these label values (in the order of the label names),
  // created on first use.
  M& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string>(values.begin(), values.end()));
  }
  M& WithLabels(std::vector<std::string> values) {
    CheckArity(values.size());
    std::lock_guard lock(mu_);
    auto& slot = children_[std::move(values)];
    if (!slot) slot = factory_();
    return *slot;
  }

  // Drops a child (e.g. a controller that no longer exists). References to it
  // become dangling; callers must not hold any.
  void Remove(std::vector<std::string> values) {
    CheckArity(values.size());
    std::lock_guard lock(mu_);
    children_.erase(values);
  }

  void Render(std::string& out) const override;

 private:
  Factory factory_;
  mutable std::mutex mu_;
  // Ordered by label values, so output is sorted and stable.
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

template <>
void Family<Counter>::Render(std::string& out) const;
template <>
void Family<Gauge>::Render(std::string& out) const;
template <>
void Family<Histogram>::Render(std::string& out) const;

using CounterVec = Family<Counter>;
using GaugeVec = Family<Gauge>;
using HistogramVec = Family<Histogram>;

// Bucket layouts as client_golang defines them.
std::vector<double> DefaultBuckets();  // .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10
std::vector<double> ExponentialBuckets(double start, double factor, int count);
std::vector<double> LinearBuckets(double start, double width, int count);

class Registry;

// Keeps a collect hook registered; unregisters it when destroyed. Move-only.
class CollectHook {
 public:
  CollectHook() = default;
  CollectHook(CollectHook&& other) noexcept;
  CollectHook& operator=(CollectHook&& other) noexcept;
  CollectHook(const CollectHook&) = delete;
  CollectHook& operator=(const CollectHook&) = delete;
  ~CollectHook();
  void Reset();

 private:
  friend class Registry;
  CollectHook(Registry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
  Registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering an existing name with the identical definition returns the
  // existing family, so several components (e.g. two workqueues) can share a
  // metric and differ only by label values.
  CounterVec& RegisterCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  GaugeVec& RegisterGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  HistogramVec& RegisterHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> buckets = DefaultBuckets());

  // Runs `hook` before every Render, to refresh values that are cheaper to
  // compute on scrape than to maintain (e.g. the age of the oldest in-flight
  // item). Hooks run one at a time; the hook stays registered while the
  // returned handle lives. A hook must not call Render or register hooks.
  [[nodiscard]] CollectHook AddCollectHook(std::function<void()> hook);

  // Every family with at least one child, sorted by name; children sorted by
  // label values. Text exposition format 0.0.4.
  std::string Render() const;

 private:
  friend class CollectHook;
  void RemoveHook(std::uint64_t id);
  template <typename M>
  Family<M>& Register(std::string name, std::string help, MetricType type,
                      std::vector<std::string> label_names,
                      std::shared_ptr<const std::vector<double>> buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::shared_ptr<const std::vector<double>>> buckets_;

  mutable std::mutex hooks_mu_;
  std::uint64_t next_hook_id_ = 1;
  std::map<std::uint64_t, std::function<void()>> hooks_;
};

}  // namespace agentfleet::obs
