#pragma once

// The duration syntax of the command line: a whole number with one unit, as
// operators write it in manifests ("500ms", "15s", "2m", "1h").

#include <chrono>
#include <string>
#include <string_view>

#include "controller/base/result.h"

namespace agentfleet {

// kInvalidArgument with a message that completes "invalid value ...: ".
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest text ParseDuration reads back: whole seconds as "15s", else "500ms".
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace agentfleet
