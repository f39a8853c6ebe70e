#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "controller/base/clock.h"
#include "controller/sources/queue/aws_credentials.h"
#include "controller/sources/queue/queue_source.h"
#include "controller/sources/queue/source_config.h"

namespace agentfleet::sources::queue {

// Amazon SQS (or a compatible server) through its JSON API, signed with
// Signature V4. Depth = ApproximateNumberOfMessages, plus ...NotVisible when
// scale_on_in_flight (the default, as in KEDA) and ...Delayed when
// scale_on_delayed.
struct SqsConfig {
  // Either the queue URL or its name (then resolved once with GetQueueUrl).
  std::string queue_url;
  std::string queue_name;
  std::string queue_owner_account_id;  // optional, with queue_name
  // Signing region; taken from an sqs.<region>.amazonaws.com URL when empty.
  std::string region;
  // Where requests go. Default: the queue URL's origin, else the regional
  // endpoint https://sqs.<region>.amazonaws.com.
  std::string endpoint;
  // What requests are signed with: `credentials_provider` when set (asked
  // before every request, so temporary credentials are renewed), else the
  // fixed `credentials`.
  AwsCredentials credentials;
  std::shared_ptr<AwsCredentialsProvider> credentials_provider;
  bool scale_on_in_flight = true;
  bool scale_on_delayed = false;
  TlsConfig tls;
  std::chrono::milliseconds timeout = kDefaultSourceTimeout;
};

// kInvalidArgument when the configuration cannot work.
Result<std::unique_ptr<QueueSource>> MakeSqsSource(SqsConfig config,
                                                   const Clock& clock = RealClock::Instance());

}  // namespace agentfleet::sources::queue
