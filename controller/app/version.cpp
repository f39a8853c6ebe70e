#include "controller/app/version.h"

namespace agentfleet::app {

std::string_view Version() {
  return AGENTFLEET_VERSION;
}

}  // namespace agentfleet::app
