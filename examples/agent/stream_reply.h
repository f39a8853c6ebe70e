#pragma once

// Turning XREADGROUP and XAUTOCLAIM replies into stream entries. Pure.

#include <string>
#include <utility>
#include <vector>

#include "controller/base/result.h"
#include "controller/sources/redis/resp.h"

namespace agentfleet::agent {

struct StreamEntry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
};

struct StreamEntries {
  std::string key;
  std::vector<StreamEntry> entries;
};

// XREADGROUP ... STREAMS k1 k2 ... > > ...: nil (the BLOCK timed out) is an
// empty list. Entries whose fields are nil (deleted after delivery) are skipped.
Result<std::vector<StreamEntries>> ParseReadGroupReply(const sources::redis::Reply& reply);

struct AutoClaimPage {
  std::string next_cursor;  // "0-0" once the whole pending list was scanned
  std::vector<StreamEntry> entries;
};

// XAUTOCLAIM key group consumer min-idle cursor COUNT n (Redis 7 reply shape).
Result<AutoClaimPage> ParseAutoClaimReply(const sources::redis::Reply& reply);

}  // namespace agentfleet::agent
