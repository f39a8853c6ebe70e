#include "controller/obs/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "controller/obs/text_format.h"

namespace agentfleet::obs {

void Counter::Inc(double delta) {
  if (!(delta > 0)) return;  // also rejects NaN
  value_.fetch_add(delta, std::memory_order_relaxed);
}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_->size() + 1, 0) {}

void Histogram::Observe(double value) {
  std::size_t bucket = bounds_->size();
  if (!std::isnan(value)) {
    bucket = static_cast<std::size_t>(std::lower_bound(bounds_->begin(), bounds_->end(), value) -
                                      bounds_->begin());
  }
  std::lock_guard lock(mu_);
  ++counts_[bucket];
  ++count_;
  sum_ += value;
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.upper_bounds = *bounds_;
  s.cumulative.reserve(bounds_->size());
  std::lock_guard lock(mu_);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_->size(); ++i) {
    running += counts_[i];
    s.cumulative.push_back(running);
  }
  s.count = count_;
  s.sum = sum_;
  return s;
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

void FamilyBase::CheckArity(std::size_t values) const {
  if (values != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + ": expected " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(values));
  }
}

namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void AppendHeader(std::string& out, const FamilyBase& f) {
  out += "# HELP ";
  out += f.name();
  out += ' ';
  AppendEscapedHelp(out, f.help());
  out += "\n# TYPE ";
  out += f.name();
  out += ' ';
  out += TypeName(f.type());
  out += '\n';
}

// name{a="x",b="y"[,le="..."]} value
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, const std::string* le,
                  double value) {
  out += name;
  out += suffix;
  if (!label_names.empty() || le != nullptr) {
    out += '{';
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      if (i > 0) out += ',';
      out += label_names[i];
      out += "=\"";
      AppendEscapedLabelValue(out, label_values[i]);
      out += '"';
    }
    if (le != nullptr) {
      if (!label_names.empty()) out += ',';
      out += "le=\"";
      out += *le;
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  AppendValue(out, value);
  out += '\n';
}

}  // namespace

template <>
void Family<Counter>::Render(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  AppendHeader(out, *this);
  for (const auto& [values, c] : children_) {
    AppendSample(out, name(), "", label_names(), values, nullptr, c->Value());
  }
}

template <>
void Family<Gauge>::Render(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  AppendHeader(out, *this);
  for (const auto& [values, g] : children_) {
    AppendSample(out, name(), "", label_names(), values, nullptr, g->Value());
  }
}

template <>
void Family<Histogram>::Render(std::string& out) const {
  std::lock_guard lock(mu_);
  if (children_.empty()) return;
  AppendHeader(out, *this);
  static const std::string kInf = "+Inf";
  for (const auto& [values, h] : children_) {
    auto s = h->Snap();
    for (std::size_t i = 0; i < s.upper_bounds.size(); ++i) {
      std::string le = FormatValue(s.upper_bounds[i]);
      AppendSample(out, name(), "_bucket", label_names(), values, &le,
                   static_cast<double>(s.cumulative[i]));
    }
    AppendSample(out, name(), "_bucket", label_names(), values, &kInf,
                 static_cast<double>(s.count));
    AppendSample(out, name(), "_sum", label_names(), values, nullptr, s.sum);
    AppendSample(out, name(), "_count", label_names(), values, nullptr,
                 static_cast<double>(s.count));
  }
}

std::vector<double> DefaultBuckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (count < 1 || start <= 0 || factor <= 1) {
    throw std::invalid_argument("ExponentialBuckets needs count >= 1, start > 0, factor > 1");
  }
  std::vector<double> b;
  for (int i = 0; i < count; ++i, start *= factor) b.push_back(start);
  return b;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (count < 1 || width <= 0) {
    throw std::invalid_argument("LinearBuckets needs count >= 1 and width > 0");
  }
  std::vector<double> b;
  for (int i = 0; i < count; ++i) b.push_back(start + width * i);
  return b;
}

CollectHook::CollectHook(CollectHook&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

CollectHook& CollectHook::operator=(CollectHook&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

CollectHook::~CollectHook() {
  Reset();
}

void CollectHook::Reset() {
  if (registry_ != nullptr) registry_->RemoveHook(id_);
  registry_ = nullptr;
}

template <typename M>
Family<M>& Registry::Register(std::string name, std::string help, MetricType type,
                              std::vector<std::string> label_names,
                              std::shared_ptr<const std::vector<double>> buckets) {
  if (!IsValidMetricName(name)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& l : label_names) {
    if (!IsValidLabelName(l) || (type == MetricType::kHistogram && l == "le")) {
      throw std::invalid_argument("metric " + name + ": invalid label name: " + l);
    }
  }
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<Family<M>*>(it->second.get());
    bool same_buckets = type != MetricType::kHistogram || *buckets_[name] == *buckets;
    if (existing == nullptr || existing->type() != type || existing->label_names() != label_names ||
        !same_buckets) {
      throw std::invalid_argument("metric " + name + " already registered with another definition");
    }
    return *existing;
  }
  typename Family<M>::Factory factory;
  if constexpr (std::is_same_v<M, Histogram>) {
    buckets_[name] = buckets;
    factory = [buckets] { return std::make_unique<Histogram>(buckets); };
  } else {
    factory = [] { return std::make_unique<M>(); };
  }
  auto family = std::make_unique<Family<M>>(name, std::move(help), type, std::move(label_names),
                                            std::move(factory));
  auto& ref = *family;
  families_.emplace(std::move(name), std::move(family));
  return ref;
}

CounterVec& Registry::RegisterCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  return Register<Counter>(std::move(name), std::move(help), MetricType::kCounter,
                           std::move(label_names), nullptr);
}

GaugeVec& Registry::RegisterGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  return Register<Gauge>(std::move(name), std::move(help), MetricType::kGauge,
                         std::move(label_names), nullptr);
}

HistogramVec& Registry::RegisterHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> buckets) {
  if (buckets.empty()) throw std::invalid_argument("metric " + name + ": no buckets");
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
      throw std::invalid_argument("metric " + name +
                                  ": buckets must be finite and strictly increasing");
    }
  }
  return Register<Histogram>(std::move(name), std::move(help), MetricType::kHistogram,
                             std::move(label_names),
                             std::make_shared<const std::vector<double>>(std::move(buckets)));
}

CollectHook Registry::AddCollectHook(std::function<void()> hook) {
  std::lock_guard lock(hooks_mu_);
  auto id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return CollectHook(this, id);
}

void Registry::RemoveHook(std::uint64_t id) {
  std::lock_guard lock(hooks_mu_);
  hooks_.erase(id);
}

std::string Registry::Render() const {
  {
    // Held while hooks run so that a hook's owner cannot unregister (and be
    // destroyed) midway. A failing hook must not cost the whole scrape.
    std::lock_guard lock(hooks_mu_);
    for (const auto& [id, hook] : hooks_) {
      try {
        hook();
      } catch (...) {
      }
    }
  }
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) family->Render(out);
  return out;
}

}  // namespace agentfleet::obs
