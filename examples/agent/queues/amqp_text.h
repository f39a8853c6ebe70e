#pragma once

// What the RabbitMQ queue makes of AMQP's codes and what it puts in headers.
// Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::agent::queues {

// The error code of a broker's channel.close or connection.close reply code
// (AMQP 0-9-1 §1.2 constants: 404 not-found, 403 access-refused, ...).
// `login`: a 403 while logging in is a refused credential, not a missing
// permission.
ErrorCode ErrorCodeOfReply(uint16_t reply_code, bool login = false);

// The error code of a rabbitmq-c status (AMQP_STATUS_*, negative).
ErrorCode ErrorCodeOfStatus(int status);

// `s` as a header value: at most `max` bytes, cut on a UTF-8 character
// boundary, each byte of an invalid sequence replaced by '?' (clients decode
// longstr headers as UTF-8, and a reason may quote a malformed body).
std::string HeaderText(std::string_view s, size_t max);

}  // namespace agentfleet::agent::queues
