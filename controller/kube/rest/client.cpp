#include "controller/kube/rest/client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>
#include <openssl/ssl.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "controller/base/http_status.h"

namespace agentfleet::kube::rest {
namespace {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

// The API server answers 409 both to a create of an existing name and to a
// stale resourceVersion; only the Status reason tells them apart.
ErrorCode CodeFor(int status, const std::string& reason) {
  if (status == 409 && reason == "AlreadyExists") return ErrorCode::kAlreadyExists;
  return ErrorCodeForHttpStatus(status);
}

bool IsIdempotent(const http::method& m) {
  return m == http::methods::GET || m == http::methods::HEAD || m == http::methods::PUT ||
         m == http::methods::DEL;
}

std::string ContentType(PatchType t) {
  switch (t) {
    case PatchType::kJsonMerge:
      return "application/merge-patch+json";
    case PatchType::kJsonPatch:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/json";
}

// Query strings are built by hand so that the order is stable and the encoding
// is exactly the API server's (selectors contain = , ! and spaces).
class Query {
 public:
  Query& Add(const std::string& key, const std::string& value) {
    if (value.empty()) return *this;
    s_ += s_.empty() ? "?" : "&";
    s_ += key + "=" + UrlEncode(value);
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// A message body is a stream of unsigned char, and every buffer handed to it
// must be one too: cpprest converts a char buffer silently, through void*,
// and then calls basic_streambuf<unsigned char> members on an object that is
// a basic_streambuf<char> (undefined behaviour; UBSan's vptr check stops it).
// Its own set_body(std::string) does that, so request bodies go in as bytes.
//
// BodyStreambuf presents a cpprest body stream as a std::streambuf, one chunk
// at a time.
class BodyStreambuf : public std::streambuf {
 public:
  explicit BodyStreambuf(concurrency::streams::istream in) : in_(std::move(in)), buf_(64 * 1024) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    concurrency::streams::rawptr_buffer<uint8_t> target(reinterpret_cast<uint8_t*>(buf_.data()),
                                                        buf_.size(), std::ios::out);
    size_t n = in_.read(target, buf_.size()).get();  // throws on a broken connection
    if (n == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  concurrency::streams::istream in_;
  std::vector<char> buf_;
};

// A reply's body, or nullopt once it is longer than `limit` bytes: the rest
// is not read (the caller cancels the request, which closes the connection).
std::optional<std::string> ReadBody(concurrency::streams::istream body, size_t limit) {
  BodyStreambuf sb(std::move(body));
  std::istream in(&sb);
  std::string out;
  std::vector<char> chunk(64 * 1024);
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (out.size() + n > limit) return std::nullopt;
    out.append(chunk.data(), n);
    if (n < chunk.size()) return out;
  }
}

Error TooLarge(const std::string& what, std::string_view kind, size_t limit) {
  return MakeError(
      ErrorCode::kResourceExhausted,
      what + ": " + std::string(kind) + " larger than " + std::to_string(limit) + " bytes refused");
}

// cpprest's I/O threads live in a static pool that joins them at exit, and
// OpenSSL frees a thread's error queue when the thread ends, unless its own
// exit handler (registered at its first initialisation) has run before.
// Exit handlers run in reverse order, so OpenSSL is initialised before the
// pool exists: the pool's threads then end while OpenSSL can still free
// what they hold, instead of leaking one error queue per I/O thread.
void InitOpenSslBeforeThreads() {
  static const bool done = OPENSSL_init_ssl(0, nullptr) == 1;
  (void)done;
}

http_client_config MakeConfig(const config::RestConfig& rc, std::chrono::milliseconds timeout) {
  http_client_config cfg;
  cfg.set_timeout(timeout);
  cfg.set_validate_certificates(!rc.insecure_skip_tls_verify);
  std::string ca = rc.ca_pem, cert = rc.client_cert_pem, key = rc.client_key_pem;
  cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
    if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
      ctx.use_private_key(boost::asio::buffer(key.data(), key.size()),
                          boost::asio::ssl::context::pem);
    }
  });
  return cfg;
}

using SteadyTime = std::chrono::steady_clock::time_point;

thread_local std::optional<SteadyTime> t_deadline;

Error DeadlineExceeded(const std::string& what) {
  return MakeError(ErrorCode::kTimeout, what + ": deadline exceeded");
}

// Cancels a request at `at` unless it has ended first (the object is gone).
// cpprest fixes the timeout per http_client, not per request, and a bound
// shorter than the client's own must not cost a new connection.
class CancelAt {
 public:
  CancelAt(pplx::cancellation_token_source cts, SteadyTime at)
      : timer_([this, cts, at](std::stop_token stop) mutable {
          std::mutex mu;
          std::condition_variable_any cv;
          std::unique_lock lock(mu);
          if (cv.wait_until(lock, stop, at, [&stop] { return stop.stop_requested(); })) return;
          fired_ = true;
          cts.cancel();
        }) {}
  bool fired() const { return fired_.load(); }

 private:
  std::atomic<bool> fired_{false};
  std::jthread timer_;  // last: started once fired_ exists, joined before it goes
};

class CppRestWatch final : public WatchStream {
 public:
  CppRestWatch(std::unique_ptr<http_client> client, pplx::cancellation_token_source cts,
               http::http_response response, std::string what, size_t limit)
      : client_(std::move(client)),
        cts_(std::move(cts)),
        response_(std::move(response)),
        body_(response_.body()),
        what_(std::move(what)),
        limit_(limit) {}

  ~CppRestWatch() override { Cancel(); }

  Result<std::optional<WatchEvent>> Next() override {
    try {
      for (;;) {
        std::optional<std::string> line = ReadLine();
        if (!line) {
          if (exhausted_) {
            Cancel();
            return TooLarge(what_, "watch event", limit_);
          }
          return std::optional<WatchEvent>();
        }
        if (line->empty()) continue;  // an empty line between events
        auto ev = ParseWatchEvent(*line, what_);
        if (!ev) return ev.error();
        return std::optional<WatchEvent>(std::move(ev).value());
      }
    } catch (const http::http_exception& e) {
      bool timeout = e.error_code() == std::errc::timed_out;
      return MakeError(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                       what_ + ": " + e.what());
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kUnavailable, what_ + ": " + e.what());
    }
  }

  void Cancel() override { cts_.cancel(); }

 private:
  // The next line without its end ("\r\n" or "\n"); nullopt at the end of
  // the stream or, with exhausted_ set, once a line is longer than limit_.
  // Takes what has arrived in one piece, and waits for one byte only when
  // nothing has: the server sends an event and then may be silent for minutes.
  std::optional<std::string> ReadLine() {
    auto buf = body_.streambuf();
    using traits = decltype(buf)::traits;
    for (size_t scanned = 0;;) {
      if (auto nl = pending_.find('\n', scanned); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      scanned = pending_.size();
      if (pending_.size() > limit_) {
        exhausted_ = true;
        return std::nullopt;
      }
      if (size_t avail = buf.in_avail(); avail > 0) {
        const size_t at = pending_.size();
        pending_.resize(at + std::min<size_t>(avail, 64 * 1024));
        size_t n =
            buf.getn(reinterpret_cast<uint8_t*>(pending_.data() + at), pending_.size() - at).get();
        pending_.resize(at + n);
        continue;
      }
      const auto ch = buf.bumpc().get();
      if (ch == traits::eof()) {
        if (pending_.empty()) return std::nullopt;
        std::string last = std::move(pending_);
        pending_.clear();
        return last;
      }
      pending_.push_back(static_cast<char>(ch));
    }
  }

  std::unique_ptr<http_client> client_;
  pplx::cancellation_token_source cts_;
  http::http_response response_;
  concurrency::streams::istream body_;
  std::string what_;
  size_t limit_;
  std::string pending_;  // read, not yet handed over
  bool exhausted_ = false;
};

class CppRestClient final : public Client {
 public:
  CppRestClient(config::RestConfig config, ClientOptions options)
      : Client(std::move(config)),
        options_(std::move(options)),
        http_(std::make_unique<http_client>(config_.server,
                                            MakeConfig(config_, options_.request_timeout))) {}

  Result<Json> Get(const Resource& r, const std::string& ns, const std::string& name,
                   const std::string& subresource) override {
    return Send(http::methods::GET, r.Path(ns, name, subresource), {}, {});
  }

  static Query ListQuery(const ListOptions& o) {
    Query q;
    q.Add("labelSelector", o.label_selector)
        .Add("fieldSelector", o.field_selector)
        .Add("limit", o.limit > 0 ? std::to_string(o.limit) : "")
        .Add("continue", o.continue_token)
        .Add("resourceVersion", o.resource_version)
        .Add("resourceVersionMatch", o.resource_version_match);
    return q;
  }

  Result<ListPage> List(const Resource& r, const std::string& ns, const ListOptions& o) override {
    auto j = Send(http::methods::GET, r.Path(ns) + ListQuery(o).str(), {}, {});
    if (!j) return j.error();
    ListPage page;
    auto& meta = (*j)["metadata"];
    if (meta.is_object()) {
      page.resource_version = meta.value("resourceVersion", "");
      page.continue_token = meta.value("continue", "");
    }
    auto& items = (*j)["items"];
    if (items.is_array()) {
      page.items.reserve(items.size());
      for (auto& item : items) page.items.push_back(std::move(item));
    }
    return page;
  }

  Result<ListMeta> ListEach(const Resource& r, const std::string& ns, const ListOptions& o,
                            const std::function<void(Json&&)>& on_item) override {
    std::string path = r.Path(ns) + ListQuery(o).str();
    std::string what = "LIST " + r.Path(ns);
    if (options_.throttle) options_.throttle();
    auto req = NewRequest(http::methods::GET, path);
    if (!req) return req.error();
    auto start = std::chrono::steady_clock::now();
    pplx::cancellation_token_source cts;
    try {
      http::http_response resp = http_->request(*req, cts.get_token()).get();
      Observe("LIST", resp.status_code(), start);
      if (resp.status_code() != http::status_codes::OK) {
        auto body = ReadBody(resp.body(), options_.max_reply_bytes);
        if (!body) {
          cts.cancel();
          return TooLarge(what, "error reply", options_.max_reply_bytes);
        }
        return ApiError(resp.status_code(), *body, what);
      }
      BodyStreambuf sb(resp.body());
      std::istream in(&sb);
      auto meta = ParseListStream(in, on_item, options_.max_reply_bytes);
      if (!meta) {
        if (meta.error().code == ErrorCode::kResourceExhausted) cts.cancel();
        return MakeError(meta.error().code, what + ": " + meta.error().message);
      }
      return meta;
    } catch (const http::http_exception& e) {
      Observe("LIST", 0, start);
      bool timeout = e.error_code() == std::errc::timed_out;
      return MakeError(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                       what + ": " + e.what());
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kUnavailable, what + ": " + e.what());
    }
  }

  Result<Json> Create(const Resource& r, const std::string& ns, const Json& body,
                      const WriteOptions& o) override {
    Query q;
    q.Add("fieldManager", o.field_manager).Add("dryRun", o.dry_run ? "All" : "");
    std::string path = o.subresource.empty() ? r.Path(ns) + q.str()
                                             : r.Path(ns, Name(body), o.subresource) + q.str();
    return Send(http::methods::POST, path, body.dump(), "application/json");
  }

  Result<Json> Update(const Resource& r, const std::string& ns, const Json& body,
                      const WriteOptions& o) override {
    Query q;
    q.Add("fieldManager", o.field_manager).Add("dryRun", o.dry_run ? "All" : "");
    return Send(http::methods::PUT, r.Path(ns, Name(body), o.subresource) + q.str(), body.dump(),
                "application/json");
  }

  Result<Json> Patch(const Resource& r, const std::string& ns, const std::string& name,
                     PatchType type, const Json& patch, const PatchOptions& o) override {
    if (type == PatchType::kApply && o.field_manager.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "server-side apply needs a field manager");
    }
    Query q;
    q.Add("fieldManager", o.field_manager)
        .Add("force", type == PatchType::kApply && o.force ? "true" : "")
        .Add("dryRun", o.dry_run ? "All" : "");
    return Send(http::methods::PATCH, r.Path(ns, name, o.subresource) + q.str(), patch.dump(),
                ContentType(type));
  }

  Status Delete(const Resource& r, const std::string& ns, const std::string& name,
                const DeleteOptions& o) override {
    Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
    if (o.precondition_uid) body["preconditions"]["uid"] = *o.precondition_uid;
    if (o.precondition_resource_version) {
      body["preconditions"]["resourceVersion"] = *o.precondition_resource_version;
    }
    if (!o.propagation_policy.empty()) body["propagationPolicy"] = o.propagation_policy;
    if (o.grace_period_seconds) body["gracePeriodSeconds"] = *o.grace_period_seconds;
    if (o.dry_run) body["dryRun"] = Json::array({"All"});
    auto res = Send(http::methods::DEL, r.Path(ns, name), body.dump(), "application/json");
    if (!res) return res.error();
    return Ok{};
  }

  Result<std::unique_ptr<WatchStream>> Watch(const Resource& r, const std::string& ns,
                                             const WatchOptions& o) override {
    Query q;
    q.Add("watch", "true")
        .Add("resourceVersion", o.resource_version)
        .Add("labelSelector", o.label_selector)
        .Add("fieldSelector", o.field_selector)
        .Add("timeoutSeconds", std::to_string(o.timeout_seconds))
        .Add("allowWatchBookmarks", o.allow_bookmarks ? "true" : "");
    std::string path = r.Path(ns) + q.str();
    std::string what = "WATCH " + r.Path(ns);
    if (options_.throttle) options_.throttle();
    // The server ends the watch after timeoutSeconds; the client waits a little longer.
    auto client = std::make_unique<http_client>(
        config_.server, MakeConfig(config_, std::chrono::seconds(o.timeout_seconds + 30)));
    auto req = NewRequest(http::methods::GET, path);
    if (!req) return req.error();
    pplx::cancellation_token_source cts;
    auto start = std::chrono::steady_clock::now();
    try {
      http::http_response resp = client->request(*req, cts.get_token()).get();
      Observe("WATCH", resp.status_code(), start);
      if (resp.status_code() != http::status_codes::OK) {
        auto body = ReadBody(resp.body(), options_.max_reply_bytes);
        if (!body) {
          cts.cancel();
          return TooLarge(what, "error reply", options_.max_reply_bytes);
        }
        return ApiError(resp.status_code(), *body, what);
      }
      return std::unique_ptr<WatchStream>(std::make_unique<CppRestWatch>(
          std::move(client), std::move(cts), std::move(resp), what, options_.max_reply_bytes));
    } catch (const http::http_exception& e) {
      Observe("WATCH", 0, start);
      bool timeout = e.error_code() == std::errc::timed_out;
      return MakeError(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                       what + ": " + e.what());
    }
  }

 private:
  static std::string Name(const Json& body) {
    if (body.contains("metadata") && body["metadata"].is_object()) {
      return body["metadata"].value("name", "");
    }
    return "";
  }

  void Observe(std::string_view method, int code, std::chrono::steady_clock::time_point start) {
    if (!options_.on_response) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    options_.on_response(method, code, secs);
  }

  Result<http::http_request> NewRequest(const http::method& method, const std::string& path) {
    http::http_request req(method);
    req.set_request_uri(path);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", options_.user_agent);
    auto token = config_.BearerToken();
    if (!token) return token.error();
    if (!token->empty()) req.headers().add("Authorization", "Bearer " + *token);
    return req;
  }

  Result<Json> Send(const http::method& method, const std::string& path, const std::string& body,
                    const std::string& content_type) {
    const std::string what = method + " " + path.substr(0, path.find('?'));
    const bool idempotent = IsIdempotent(method);
    const bool write = method != http::methods::GET && method != http::methods::HEAD;
    const std::optional<SteadyTime> call_deadline = ScopedDeadline::Current();
    std::chrono::milliseconds backoff = options_.retry_initial_backoff;
    std::optional<Error> failure;  // the last attempt's
    // The end of the gate's term for a write; an error refuses it.
    auto term = [&]() -> Result<std::optional<SteadyTime>> {
      if (!write || !options_.write_gate) return std::optional<SteadyTime>();
      auto until = options_.write_gate();
      if (!until) return MakeError(until.error().code, what + ": " + until.error().message);
      return std::optional<SteadyTime>(*until);
    };
    for (int attempt = 0;; ++attempt) {
      // Also before the throttle: a refused write must not wait for a token.
      if (auto early = term(); !early) return early.error();
      if (options_.throttle) options_.throttle();
      auto req = NewRequest(method, path);
      if (!req) return req.error();
      if (!content_type.empty()) {
        // Not set_body(std::string): that overload is the char-buffer pun above.
        req->set_body(concurrency::streams::bytestream::open_istream(
                          std::vector<uint8_t>(body.begin(), body.end())),
                      body.size(), content_type);
      }
      // Asked last, right before sending, so that the answer is as fresh as it
      // can be when the request leaves.
      auto until = term();
      if (!until) return until.error();
      std::optional<SteadyTime> limit = call_deadline;
      if (*until) limit = limit ? std::min(*limit, **until) : **until;
      if (limit && std::chrono::steady_clock::now() >= *limit) {
        return failure ? *failure : DeadlineExceeded(what);
      }
      auto start = std::chrono::steady_clock::now();
      std::chrono::milliseconds wait = backoff;
      pplx::cancellation_token_source cts;
      std::optional<CancelAt> cancel;
      if (limit && *limit < start + options_.request_timeout) cancel.emplace(cts, *limit);
      try {
        http::http_response resp = http_->request(*req, cts.get_token()).get();
        int status = resp.status_code();
        auto body = ReadBody(resp.body(), options_.max_reply_bytes);
        Observe(method, status, start);
        if (!body) {
          cts.cancel();
          return TooLarge(what, "reply", options_.max_reply_bytes);
        }
        const std::string& text = *body;
        if (status < 400) {
          if (text.empty()) return Json::object();
          Json j = Json::parse(text, nullptr, false);
          if (j.is_discarded())
            return MakeError(ErrorCode::kInternal, what + ": answer is not JSON");
          return j;
        }
        Error err = ApiError(status, text, what);
        bool retry =
            status == 429 || (idempotent && (status == 502 || status == 503 || status == 504));
        if (resp.headers().has("Retry-After")) {
          int secs = std::atoi(resp.headers()["Retry-After"].c_str());
          if (secs > 0) wait = std::chrono::seconds(std::min(secs, 30));
          retry = retry || (idempotent && status >= 500);
        }
        if (!retry || attempt >= options_.max_retries) return err;
        failure = err;
      } catch (const std::exception& e) {
        Observe(method, 0, start);
        if (cancel && cancel->fired()) return DeadlineExceeded(what);
        const auto* http_error = dynamic_cast<const http::http_exception*>(&e);
        if (http_error == nullptr)
          return MakeError(ErrorCode::kUnavailable, what + ": " + e.what());
        bool timeout = http_error->error_code() == std::errc::timed_out;
        Error err = MakeError(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable,
                              what + ": " + e.what());
        if (!idempotent || attempt >= options_.max_retries) return err;
        failure = err;
      }
      // A wait that would end past the deadline is not begun: the caller
      // learns now what it would learn then.
      if (limit && std::chrono::steady_clock::now() + wait >= *limit) return *failure;
      std::this_thread::sleep_for(wait);
      backoff = std::min(backoff * 2, options_.retry_max_backoff);
    }
  }

  ClientOptions options_;
  std::unique_ptr<http_client> http_;
};

}  // namespace

ScopedDeadline::ScopedDeadline(SteadyTime deadline) : previous_(t_deadline) {
  t_deadline = previous_ ? std::min(*previous_, deadline) : deadline;
}

ScopedDeadline::~ScopedDeadline() {
  t_deadline = previous_;
}

std::optional<SteadyTime> ScopedDeadline::Current() {
  return t_deadline;
}

Error ApiError(int http_status, const std::string& body, const std::string& what) {
  std::string reason, message;
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.value("kind", "") == "Status") {
    reason = j.value("reason", "");
    message = j.value("message", "");
  }
  if (message.empty()) message = body.substr(0, 200);
  Error e = MakeError(CodeFor(http_status, reason), what + ": " + std::to_string(http_status) +
                                                        (reason.empty() ? "" : " " + reason) +
                                                        ": " + message);
  e.http_status = http_status;
  e.reason = reason;
  return e;
}

void ConfigureHttpThreads(size_t threads) {
  InitOpenSslBeforeThreads();
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception&) {
    // Already initialised (a client was made first): keep the pool as it is.
  }
}

Result<std::unique_ptr<Client>> Client::Create(config::RestConfig config, ClientOptions options) {
  if (config.server.empty()) return MakeError(ErrorCode::kInvalidArgument, "no API server address");
  InitOpenSslBeforeThreads();
  try {
    return std::unique_ptr<Client>(
        std::make_unique<CppRestClient>(std::move(config), std::move(options)));
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("API server address: ") + e.what());
  }
}

}  // namespace agentfleet::kube::rest
