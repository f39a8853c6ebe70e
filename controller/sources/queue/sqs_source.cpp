#include "controller/sources/queue/sqs_source.h"

#include <mutex>

#include "controller/base/redact.h"
#include "controller/sources/queue/http_fetch.h"
#include "controller/sources/queue/sigv4.h"
#include "controller/sources/queue/sqs_protocol.h"
#include "controller/sources/queue/url.h"

namespace agentfleet::sources::queue {
namespace {

class SqsSource final : public QueueSource {
 public:
  SqsSource(SqsConfig config, Url endpoint, std::string region, const Clock& clock)
      : config_(std::move(config)),
        endpoint_(std::move(endpoint)),
        region_(std::move(region)),
        clock_(clock),
        attributes_(sqs::AttributeNames(config_.scale_on_in_flight, config_.scale_on_delayed)),
        queue_url_(config_.queue_url) {}

  Result<QueueDepth> ReadDepth() override {
    Result<AwsCredentials> credentials = config_.credentials;
    if (config_.credentials_provider) credentials = config_.credentials_provider->Get();
    if (!credentials.ok()) {
      return MakeError(credentials.error().code, "AWS credentials: " + credentials.error().message);
    }
    // Every answer and error of this read is scrubbed of the key and token it used.
    const Redactor redactor({credentials->secret_access_key, credentials->session_token});
    return redactor.Redact(Read(*credentials, redactor));
  }

  std::string Describe() const override {
    return "sqs queue " + QueueLabel() + " at " + endpoint_.Origin() + " (" + region_ + ")";
  }

 private:
  std::string QueueLabel() const {
    return config_.queue_url.empty() ? config_.queue_name : config_.queue_url;
  }

  Result<HttpResponse> Call(std::string_view action, std::string body,
                            const AwsCredentials& credentials, const Redactor& redactor) {
    const auto request = sqs::SignedCall(endpoint_, action, std::move(body), credentials, region_,
                                         AmzDate(clock_.WallNow()));
    auto response = HttpFetch(request, config_.tls, config_.timeout);
    if (response.ok()) {
      // Before anything quotes it, cut short or not: a cut could split a secret.
      response->body = redactor.Redact(std::move(response->body));
      for (auto& [name, value] : response->headers) value = redactor.Redact(std::move(value));
    }
    return response;
  }

  Result<std::string> QueueUrl(const AwsCredentials& credentials, const Redactor& redactor) {
    {
      std::lock_guard lock(mu_);
      if (!queue_url_.empty()) return queue_url_;
    }
    auto response = Call("GetQueueUrl",
                         sqs::GetQueueUrlBody(config_.queue_name, config_.queue_owner_account_id),
                         credentials, redactor);
    if (!response.ok()) return response.error();
    auto url = sqs::QueueUrlFromResponse(*response, "sqs queue " + config_.queue_name);
    if (!url.ok()) return url.error();
    std::lock_guard lock(mu_);
    queue_url_ = *url;
    return queue_url_;
  }

  Result<QueueDepth> Read(const AwsCredentials& credentials, const Redactor& redactor) {
    auto url = QueueUrl(credentials, redactor);
    if (!url.ok()) return url.error();
    auto response = Call("GetQueueAttributes", sqs::GetQueueAttributesBody(*url, attributes_),
                         credentials, redactor);
    if (!response.ok()) return response.error();
    auto depth = sqs::DepthFromResponse(*response, attributes_, "sqs queue " + QueueLabel());
    if (!depth.ok()) {
      // A queue resolved by name may have been deleted and re-created under
      // another URL: resolve it again next time.
      if (depth.error().code == ErrorCode::kNotFound && config_.queue_url.empty()) {
        std::lock_guard lock(mu_);
        queue_url_.clear();
      }
      return depth.error();
    }
    return QueueDepth{*depth, {}};
  }

  const SqsConfig config_;
  const Url endpoint_;
  const std::string region_;
  const Clock& clock_;
  const std::vector<std::string> attributes_;
  std::mutex mu_;
  std::string queue_url_;  // guarded by mu_
};

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, "sqs source: " + std::move(message));
}

}  // namespace

Result<std::unique_ptr<QueueSource>> MakeSqsSource(SqsConfig config, const Clock& clock) {
  if (config.queue_url.empty() == config.queue_name.empty()) {
    return Invalid("set exactly one of queue URL and queue name");
  }
  if (!config.credentials_provider &&
      (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty())) {
    return Invalid("an access key id and a secret access key are required");
  }
  if (config.timeout <= std::chrono::milliseconds::zero()) return Invalid("timeout must be > 0");
  std::optional<Url> queue_url;
  if (!config.queue_url.empty()) {
    auto parsed = ParseUrl(config.queue_url);
    if (!parsed.ok()) return Invalid("queue URL: " + parsed.error().message);
    queue_url = *parsed;
  }
  auto where =
      sqs::ResolveQueueLocation(queue_url ? &*queue_url : nullptr, config.region, config.endpoint);
  if (where.region.empty()) return Invalid("region is required (it is not in the queue URL)");
  auto endpoint = ParseUrl(where.endpoint);
  if (!endpoint.ok()) return Invalid("endpoint: " + endpoint.error().message);
  return std::unique_ptr<QueueSource>(
      new SqsSource(std::move(config), *endpoint, std::move(where.region), clock));
}

}  // namespace agentfleet::sources::queue
