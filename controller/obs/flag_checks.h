#pragma once

// The checks of the flags every binary shares with this module, so that a
// value the command line accepts is one the endpoint and the logger accept.

#include <string_view>

#include "controller/base/result.h"

namespace agentfleet::obs {

// Ok for "0" (the endpoint is off) and every address ParseBindAddress accepts.
Status CheckBindAddress(std::string_view address);

// Ok for the names ParseLevel reads.
Status CheckLevelName(std::string_view name);

}  // namespace agentfleet::obs
