// Answers of a RabbitMQ management API, which the fleet's author chooses.
// Properties: no crash; a depth is never negative; every error is typed and
// its message is one bounded line (it ends up in a fleet condition).
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/sources/queue/rabbitmq_protocol.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/sources/queue/response_input.h"

namespace {

namespace rabbitmq = agentfleet::sources::queue::rabbitmq;

void CheckError(const agentfleet::Error& e) {
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK(e.message.find('\n') == std::string::npos);
  FUZZ_CHECK(e.message.find('\r') == std::string::npos);
  FUZZ_CHECK(e.message.size() <= 1024);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  agentfleet::fuzz::ResponseInput in;
  if (!agentfleet::fuzz::ReadResponse(data, size, "content-type", in)) return 0;
  auto depth = rabbitmq::DepthFromResponse(in.response, in.options & 1, "queue q");
  if (depth.ok()) {
    FUZZ_CHECK(in.response.status == 200);
    FUZZ_CHECK(*depth >= 0);
  } else {
    CheckError(depth.error());
  }
  if (in.response.status != 200) CheckError(rabbitmq::ErrorFromResponse(in.response, "queue q"));
  return 0;
}
