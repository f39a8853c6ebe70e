#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "controller/base/clock.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::kube::events {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;
};

struct RecorderOptions {
  std::string reporting_controller = "agentfleet.io/fleet-controller";
  std::string reporting_instance;  // the pod or host
  // Repeats of an event are folded into its series and written at most this often.
  std::chrono::milliseconds series_flush_interval{30'000};
  // After this long without a repeat, the same event starts a new series.
  std::chrono::milliseconds series_window{30 * 60'000};
  // New distinct events per object: a burst, then one per refill period.
  int per_object_burst = 25;
  std::chrono::milliseconds per_object_refill{10'000};
};

// Records events.k8s.io/v1 Events without ever blocking the caller on the API
// server. Repeats of one event (same object, type, reason, action and note) are
// aggregated into Event.series, written at most once per flush interval, and a
// per-object budget drops floods: a hot loop cannot overwhelm the API server.
class EventRecorder {
 public:
  EventRecorder(rest::Client& client, RecorderOptions options,
                const Clock& clock = RealClock::Instance());
  ~EventRecorder();

  void Normal(const ObjectReference& regarding, const std::string& reason,
              const std::string& action, const std::string& note) {
    Record(regarding, "Normal", reason, action, note);
  }
  void Warning(const ObjectReference& regarding, const std::string& reason,
               const std::string& action, const std::string& note) {
    Record(regarding, "Warning", reason, action, note);
  }
  void Record(const ObjectReference& regarding, const std::string& type, const std::string& reason,
              const std::string& action, const std::string& note);

  // Writes everything pending and waits for it; for shutdown and tests.
  void Flush();
  int64_t dropped() const;

 private:
  struct Series {
    std::string name;  // the Event object's name, once created
    ObjectReference regarding;
    std::string type, reason, action, note;
    int64_t count = 0;
    int64_t written_count = 0;
    Clock::Monotonic first_seen{}, last_seen{};
    Clock::Wall last_seen_wall{};
    bool create_pending = false;
  };
  struct Budget {
    double tokens = 0;
    Clock::Monotonic refilled{};
  };

  void Loop();
  void WriteDirty(std::unique_lock<std::mutex>& lock, bool force);
  bool Admit(const std::string& object_uid);

  rest::Client& client_;
  RecorderOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Series> series_;   // by aggregation key
  std::map<std::string, Budget> budgets_;  // by object uid
  int64_t dropped_ = 0;
  bool stop_ = false;
  bool flush_requested_ = false;
  int64_t flush_generation_ = 0;
  Clock::Monotonic last_flush_{};
  std::thread thread_;
};

}  // namespace agentfleet::kube::events
