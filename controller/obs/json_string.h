#pragma once

#include <string>
#include <string_view>

namespace agentfleet::obs {

// Appends `s` as a quoted JSON string. Control characters are escaped and
// invalid UTF-8 bytes become U+FFFD, so the line is always valid JSON whatever
// bytes the caller logged.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace agentfleet::obs
