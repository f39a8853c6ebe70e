#include "controller/fleet/reconciler/pod_usage.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

#include "controller/kube/meta/json_fields.h"
#include "controller/kube/meta/quantity.h"
#include "controller/kube/meta/time.h"
#include "controller/kube/rest/resource.h"

namespace agentfleet::fleet::reconciler {
namespace {

using Json = nlohmann::json;

using kube::meta::StringField;

// A Go duration as metav1.Duration writes it: "10.005s", "1m0s", "500ms".
std::optional<std::chrono::milliseconds> GoDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) {
      ++j;
    }
    const std::string digits(text.substr(i, j - i));
    if (digits.find_first_of("0123456789") == std::string::npos ||
        digits.find('.') != digits.rfind('.')) {
      return std::nullopt;
    }
    const double number = std::strtod(digits.c_str(), nullptr);
    size_t k = j;
    while (k < text.size() && !std::isdigit(static_cast<unsigned char>(text[k])) &&
           text[k] != '.') {
      ++k;
    }
    const std::string_view unit = text.substr(j, k - j);
    double ms = 0;
    if (unit == "h") {
      ms = 3'600'000;
    } else if (unit == "m") {
      ms = 60'000;
    } else if (unit == "s") {
      ms = 1000;
    } else if (unit == "ms") {
      ms = 1;
    } else if (unit == "us" || unit == "\u00b5s") {
      ms = 1e-3;
    } else if (unit == "ns") {
      ms = 1e-6;
    } else {
      return std::nullopt;
    }
    total_ms += number * ms;
    i = k;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

// One PodMetrics, or why it cannot be used.
Result<PodSample> Sample(const Json& item) {
  PodSample s;
  const int64_t at = kube::meta::ParseUnixSeconds(StringField(item, "timestamp"));
  if (at <= 0) return MakeError(ErrorCode::kInternal, "no timestamp");
  s.timestamp = Clock::Wall(std::chrono::seconds(at));
  const auto window = GoDuration(StringField(item, "window"));
  if (!window)
    return MakeError(ErrorCode::kInternal, "window \"" + StringField(item, "window") + "\"");
  s.window = *window;
  auto containers = item.find("containers");
  if (containers == item.end() || !containers->is_array() || containers->empty()) {
    return MakeError(ErrorCode::kInternal, "no containers");
  }
  for (const Json& c : *containers) {
    const Json usage = c.is_object() ? c.value("usage", Json::object()) : Json::object();
    auto cpu = kube::meta::ParseMilliQuantity(StringField(usage, "cpu"));
    auto memory = kube::meta::ParseQuantity(StringField(usage, "memory"));
    if (!cpu) return MakeError(ErrorCode::kInternal, "cpu " + cpu.error().message);
    if (!memory) return MakeError(ErrorCode::kInternal, "memory " + memory.error().message);
    s.cpu_milli += *cpu;
    s.memory += *memory;
  }
  return s;
}

}  // namespace

PodSamples ParsePodMetrics(const std::vector<Json>& items, std::vector<std::string>* unusable) {
  PodSamples out;
  for (const Json& item : items) {
    const std::string name = item.is_object()
                                 ? StringField(item.value("metadata", Json::object()), "name")
                                 : std::string();
    if (name.empty()) {
      if (unusable != nullptr) unusable->push_back("an item: no metadata.name");
      continue;
    }
    auto s = Sample(item);
    if (s) {
      out[name] = *s;
    } else if (unusable != nullptr) {
      unusable->push_back(name + ": " + s.error().message);
    }
  }
  return out;
}

void PodUsage::Refresh(kube::rest::Client& client, const std::string& ns,
                       const std::string& selector, Clock::Monotonic now,
                       std::chrono::seconds interval) {
  read_this_pass_ = false;
  if (last_ && now - *last_ < interval) return;
  last_ = now;
  read_this_pass_ = true;
  // The list runs on a reconcile worker: an aggregated API that does not
  // answer must not hold it for the client's retries (the next try is a
  // kUsageInterval away in any case).
  kube::rest::ScopedDeadline bound(std::chrono::steady_clock::now() + kUsageDeadline);
  auto page = client.List(kube::rest::resources::kPodMetrics, ns, {.label_selector = selector});
  if (!page) {
    samples_ = MakeError(page.error().code, "metrics.k8s.io: " + page.error().message);
    return;
  }
  // As the HPA: a PodMetrics that cannot be used leaves its pod without a
  // sample; it does not fail the others.
  samples_ = ParsePodMetrics(page->items);
}

}  // namespace agentfleet::fleet::reconciler
