#include "controller/kube/informer/reflector.h"

#include <malloc.h>

namespace agentfleet::kube::informer {

Reflector::Reflector(rest::Client& client, rest::Resource resource, ReflectorOptions options,
                     ReflectorSink& sink)
    : client_(client),
      resource_(std::move(resource)),
      options_(std::move(options)),
      sink_(sink),
      what_(resource_.resource +
            (options_.namespace_name.empty() ? std::string() : " in " + options_.namespace_name)),
      backoff_(options_.backoff, RealClock::Instance()) {}

Reflector::~Reflector() {
  Stop();
}

void Reflector::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void Reflector::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (current_watch_ != nullptr && *current_watch_) (*current_watch_)->Cancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Reflector::WaitForSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!synced_) {
    if (std::chrono::steady_clock::now() >= deadline || stop_) return synced_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string Reflector::LastResourceVersion() const {
  std::lock_guard lock(mu_);
  return last_rv_;
}

void Reflector::Sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_.load(); });
}

Status Reflector::List(const std::string& resource_version) {
  rest::ListOptions lo{.label_selector = options_.label_selector,
                       .field_selector = options_.field_selector,
                       .limit = options_.page_size,
                       .resource_version = resource_version};
  std::string rv;
  sink_.BeginReplace();
  for (;;) {
    auto page = client_.ListEach(resource_, options_.namespace_name, lo,
                                 [this](rest::Json&& item) { sink_.ReplaceItem(item); });
    if (!page) {
      sink_.AbortReplace();
      return page.error();
    }
    if (rv.empty()) rv = page->resource_version;
    if (page->continue_token.empty()) break;
    // Later pages come from the snapshot the continue token names.
    lo.continue_token = page->continue_token;
    lo.resource_version.clear();
  }
  sink_.EndReplace();
  {
    std::lock_guard lock(mu_);
    last_rv_ = rv;
  }
  ++stats_.lists;
  // A list leaves many freed small blocks behind; hand them back to the system
  // so that resident memory reflects the cache, not the transfer.
  malloc_trim(0);
  return Ok{};
}

bool Reflector::WatchOnce() {
  std::uniform_int_distribution<int> timeout(options_.min_watch_timeout_seconds,
                                             options_.max_watch_timeout_seconds);
  rest::WatchOptions wo{.resource_version = LastResourceVersion(),
                        .label_selector = options_.label_selector,
                        .field_selector = options_.field_selector,
                        .timeout_seconds = timeout(rng_),
                        .allow_bookmarks = true};
  auto opened = client_.Watch(resource_, options_.namespace_name, wo);
  if (!opened) {
    ++stats_.watch_errors;
    if (opened.error().code == ErrorCode::kGone) return false;
    if (options_.on_error) options_.on_error("watch", opened.error());
    Sleep(std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.Next()));
    return true;
  }
  ++stats_.watches;
  std::unique_ptr<rest::WatchStream> stream = std::move(opened).value();
  {
    std::lock_guard lock(mu_);
    if (stop_) return true;
    current_watch_ = &stream;
  }
  bool keep_watching = true;
  for (;;) {
    auto ev = stream->Next();
    if (!ev) {
      if (!stop_) {
        ++stats_.watch_errors;
        Sleep(std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.Next()));
      }
      break;
    }
    if (!ev->has_value()) break;  // the server ended the watch: resume at once
    rest::WatchEvent& e = **ev;
    if (e.type == "ERROR") {
      // An ERROR event carries a Status (410: our version was compacted away);
      // whatever it says, only a fresh list is safe.
      keep_watching = false;
      break;
    }
    std::string rv;
    if (auto md = e.object.find("metadata"); md != e.object.end() && md->is_object()) {
      auto v = md->find("resourceVersion");
      if (v != md->end() && v->is_string()) rv = v->get<std::string>();
    }
    if (e.type != "BOOKMARK") {
      sink_.Apply(e.type, e.object);
      ++stats_.events;
    }
    if (!rv.empty()) {
      std::lock_guard lock(mu_);
      last_rv_ = rv;
    }
  }
  std::lock_guard lock(mu_);
  current_watch_ = nullptr;
  return keep_watching;
}

void Reflector::Run() {
  bool need_list = true;
  // The first list may come from the watch cache at any version; a relist
  // after 410 must be consistent, or it could travel back in time.
  std::string list_rv = "0";
  while (!stop_) {
    if (need_list) {
      auto st = List(list_rv);
      if (!st) {
        if (options_.on_error) options_.on_error("list", st.error());
        Sleep(std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.Next()));
        list_rv = "";
        continue;
      }
      synced_ = true;
      need_list = false;
    }
    if (!WatchOnce()) {
      ++stats_.relists;
      need_list = true;
      list_rv = "";
    }
  }
}

}  // namespace agentfleet::kube::informer
