#pragma once

#include <string_view>

namespace agentfleet::app {

std::string_view Version();

}  // namespace agentfleet::app
