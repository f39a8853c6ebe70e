#include "examples/agent/queues/amqp_text.h"

#include <amqp.h>

namespace agentfleet::agent::queues {
namespace {

// The length of the UTF-8 sequence starting at s[i], 0 if it is not a valid
// one (overlong forms, surrogates and code points above U+10FFFF included).
size_t SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

ErrorCode ErrorCodeOfReply(uint16_t reply_code, bool login) {
  switch (reply_code) {
    case 403:  // access-refused
      return login ? ErrorCode::kUnauthorized : ErrorCode::kForbidden;
    case 530:  // not-allowed: a vhost without permission (or absent)
      return ErrorCode::kForbidden;
    case 404:  // not-found
      return ErrorCode::kNotFound;
    case 405:  // resource-locked: an exclusive queue of another connection
    case 406:  // precondition-failed: inequivalent arguments, unknown tag
      return ErrorCode::kFailedPrecondition;
    case 311:  // content-too-large
    case 506:  // resource-error
      return ErrorCode::kResourceExhausted;
    case 320:  // connection-forced: the broker shuts down or was told to
    case 313:  // no-consumers
      return ErrorCode::kUnavailable;
    case 312:  // no-route
    case 402:  // invalid-path
      return ErrorCode::kInvalidArgument;
    default:  // frame, syntax, command, channel errors; not-implemented; internal
      return ErrorCode::kInternal;
  }
}

ErrorCode ErrorCodeOfStatus(int status) {
  switch (status) {
    case AMQP_STATUS_TIMEOUT:
    case AMQP_STATUS_HEARTBEAT_TIMEOUT:
      return ErrorCode::kTimeout;
    case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED:
    case AMQP_STATUS_CONNECTION_CLOSED:
    case AMQP_STATUS_SOCKET_ERROR:
    case AMQP_STATUS_SOCKET_CLOSED:
    case AMQP_STATUS_TCP_ERROR:
    case AMQP_STATUS_SSL_ERROR:
    case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED:
    case AMQP_STATUS_SSL_PEER_VERIFY_FAILED:
    case AMQP_STATUS_SSL_CONNECTION_FAILED:
      return ErrorCode::kUnavailable;
    case AMQP_STATUS_NO_MEMORY:
    case AMQP_STATUS_TABLE_TOO_BIG:
      return ErrorCode::kResourceExhausted;
    case AMQP_STATUS_INVALID_PARAMETER:
    case AMQP_STATUS_BAD_URL:
    case AMQP_STATUS_BROKER_UNSUPPORTED_SASL_METHOD:
    case AMQP_STATUS_UNSUPPORTED:
      return ErrorCode::kInvalidArgument;
    default:  // bad AMQP data, unexpected frames, a broker speaking another version
      return ErrorCode::kInternal;
  }
}

std::string HeaderText(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = SequenceLength(s, i);
    const size_t take = n == 0 ? 1 : n;
    if (out.size() + take > max) break;
    if (n == 0) {
      out += '?';
    } else {
      out.append(s.substr(i, n));
    }
    i += take;
  }
  return out;
}

}  // namespace agentfleet::agent::queues
