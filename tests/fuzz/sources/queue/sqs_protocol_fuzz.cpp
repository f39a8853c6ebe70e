// Answers of an SQS-compatible server, which the fleet's author chooses.
// Properties: no crash; a depth is never negative; every error is typed and
// its message is one bounded line (it ends up in a fleet condition).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "controller/sources/queue/sqs_protocol.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/sources/queue/response_input.h"

namespace {

namespace sqs = agentfleet::sources::queue::sqs;

void CheckError(const agentfleet::Error& e) {
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.message.find('\n') == std::string::npos);
  FUZZ_CHECK(e.message.find('\r') == std::string::npos);
  FUZZ_CHECK(e.message.size() <= 1024);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  agentfleet::fuzz::ResponseInput in;
  if (!agentfleet::fuzz::ReadResponse(data, size, "x-amzn-query-error", in)) return 0;
  const std::vector<std::string> attributes = sqs::AttributeNames(in.options & 1, in.options & 2);

  auto depth = sqs::DepthFromResponse(in.response, attributes, "queue q");
  if (depth.ok()) {
    FUZZ_CHECK(in.response.status == 200);
    FUZZ_CHECK(*depth >= 0);
  } else {
    CheckError(depth.error());
  }
  auto url = sqs::QueueUrlFromResponse(in.response, "queue q");
  if (url.ok()) {
    FUZZ_CHECK(in.response.status == 200);
  } else {
    CheckError(url.error());
  }
  if (in.response.status != 200) CheckError(sqs::ErrorFromResponse(in.response, "queue q"));
  return 0;
}
