#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agentfleet::sources::queue {

// Keeps at most `max` bytes of text coming from a server, on one line, so that
// a huge or multi-line answer cannot flood an error message or a log line.
std::string Excerpt(std::string_view text, std::size_t max = 200);

}  // namespace agentfleet::sources::queue
