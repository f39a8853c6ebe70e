#include "controller/obs/flag_checks.h"

#include "controller/obs/bind_address.h"
#include "controller/obs/log.h"

namespace agentfleet::obs {

Status CheckBindAddress(std::string_view address) {
  if (IsBindAddressDisabled(address)) return Ok{};
  auto parsed = ParseBindAddress(address);
  if (!parsed.ok()) return parsed.error();
  return Ok{};
}

Status CheckLevelName(std::string_view name) {
  if (ParseLevel(name)) return Ok{};
  return MakeError(ErrorCode::kInvalidArgument, "must be one of debug, info, warn, error");
}

}  // namespace agentfleet::obs
