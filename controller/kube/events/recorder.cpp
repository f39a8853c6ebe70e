#include "controller/kube/events/recorder.h"

#include <cstdio>
#include <random>
#include <vector>

#include "controller/kube/meta/time.h"

namespace agentfleet::kube::events {
namespace {

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string Truncate(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n);
}

}  // namespace

EventRecorder::EventRecorder(rest::Client& client, RecorderOptions options, const Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock), last_flush_(clock.Now()) {
  thread_ = std::thread([this] { Loop(); });
}

EventRecorder::~EventRecorder() {
  Flush();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int64_t EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool EventRecorder::Admit(const std::string& uid) {
  auto now = clock_.Now();
  auto [it, fresh] = budgets_.try_emplace(uid);
  Budget& b = it->second;
  if (fresh) {
    b.tokens = options_.per_object_burst;
    b.refilled = now;
  } else {
    double periods = std::chrono::duration<double>(now - b.refilled) /
                     std::chrono::duration<double>(options_.per_object_refill);
    b.tokens = std::min<double>(options_.per_object_burst, b.tokens + periods);
    b.refilled = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void EventRecorder::Record(const ObjectReference& regarding, const std::string& type,
                           const std::string& reason, const std::string& action,
                           const std::string& note) {
  std::string key = regarding.uid + "\x1f" + regarding.kind + "\x1f" + regarding.namespace_name +
                    "\x1f" + regarding.name + "\x1f" + type + "\x1f" + reason + "\x1f" + action +
                    "\x1f" + note;
  auto now = clock_.Now();
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end() && now - it->second.last_seen < options_.series_window) {
    ++it->second.count;
    it->second.last_seen = now;
    it->second.last_seen_wall = clock_.WallNow();
    return;
  }
  if (!Admit(regarding.uid + "/" + regarding.kind + "/" + regarding.name)) {
    ++dropped_;
    return;
  }
  Series s{.regarding = regarding,
           .type = type,
           .reason = Truncate(reason, 128),
           .action = Truncate(action, 128),
           .note = Truncate(note, 1024),
           .count = 1,
           .first_seen = now,
           .last_seen = now,
           .last_seen_wall = clock_.WallNow(),
           .create_pending = true};
  series_[key] = std::move(s);
  cv_.notify_all();
}

void EventRecorder::Flush() {
  std::unique_lock lock(mu_);
  if (stop_) return;
  int64_t target = flush_generation_ + 1;
  flush_requested_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return flush_generation_ >= target || stop_; });
}

void EventRecorder::WriteDirty(std::unique_lock<std::mutex>& lock, bool force) {
  struct Work {
    std::string key;
    bool create;
    rest::Json body;
    std::string ns, name;
    int64_t count;
  };
  std::vector<Work> work;
  auto now = clock_.Now();
  bool flush_series = force || now - last_flush_ >= options_.series_flush_interval;
  for (auto it = series_.begin(); it != series_.end();) {
    Series& s = it->second;
    if (!s.create_pending && s.count == s.written_count &&
        now - s.last_seen >= options_.series_window) {
      it = series_.erase(it);  // a quiet series is forgotten; a repeat starts anew
      continue;
    }
    std::string ns = s.regarding.namespace_name.empty() ? "default" : s.regarding.namespace_name;
    rest::Json series = {{"count", s.count},
                         {"lastObservedTime", meta::FormatMicroTime(s.last_seen_wall)}};
    if (s.create_pending) {
      std::string name = Truncate(s.regarding.name, 200) + "." + RandomSuffix();
      rest::Json ev = {{"apiVersion", "events.k8s.io/v1"},
                       {"kind", "Event"},
                       {"metadata", {{"name", name}, {"namespace", ns}}},
                       {"eventTime", meta::FormatMicroTime(s.last_seen_wall)},
                       {"reportingController", options_.reporting_controller},
                       {"reportingInstance", Truncate(options_.reporting_instance, 128)},
                       {"action", s.action},
                       {"reason", s.reason},
                       {"note", s.note},
                       {"type", s.type},
                       {"regarding",
                        {{"apiVersion", s.regarding.api_version},
                         {"kind", s.regarding.kind},
                         {"name", s.regarding.name},
                         {"namespace", s.regarding.namespace_name},
                         {"uid", s.regarding.uid}}}};
      if (s.count > 1) ev["series"] = series;
      work.push_back({it->first, true, std::move(ev), ns, name, s.count});
    } else if (flush_series && s.count > s.written_count) {
      work.push_back({it->first, false, {{"series", series}}, ns, s.name, s.count});
    }
    ++it;
  }
  if (flush_series) last_flush_ = now;
  if (work.empty()) return;
  lock.unlock();
  std::vector<std::pair<size_t, bool>> results;
  for (size_t i = 0; i < work.size(); ++i) {
    auto& w = work[i];
    bool ok;
    if (w.create) {
      ok = client_.Create(rest::resources::kEvents, w.ns, w.body).ok();
    } else {
      auto r = client_.Patch(rest::resources::kEvents, w.ns, w.name, rest::PatchType::kJsonMerge,
                             w.body);
      ok = r.ok();
    }
    results.emplace_back(i, ok);
  }
  lock.lock();
  for (auto [i, ok] : results) {
    auto it = series_.find(work[i].key);
    if (it == series_.end()) continue;
    Series& s = it->second;
    if (ok) {
      if (work[i].create) {
        s.name = work[i].name;
        s.create_pending = false;
      }
      s.written_count = std::max(s.written_count, work[i].count);
    } else if (!work[i].create) {
      s.create_pending = true;  // the Event was deleted or expired: write it anew
    }
  }
}

void EventRecorder::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.series_flush_interval, [&] {
      if (stop_ || flush_requested_) return true;
      for (const auto& [k, s] : series_) {
        if (s.create_pending) return true;
      }
      return false;
    });
    bool force = flush_requested_;
    flush_requested_ = false;
    WriteDirty(lock, force);
    if (force) {
      ++flush_generation_;
      cv_.notify_all();
    }
  }
}

}  // namespace agentfleet::kube::events
