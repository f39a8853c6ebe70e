#pragma once

// The set-up the fleet tests share: the shipped CRD installed, an ACL user on
// the fixture Redis (so that the fleet's Secret is really needed), the Secret
// and the canonical fleet pointed at that Redis.

#include <nlohmann/json.hpp>
#include <string>

#include "controller/base/result.h"
#include "controller/kube/rest/client.h"

namespace agentfleet::testing {

// Server-side applies crds/ and waits (up to 60 s) until fleets can be listed.
Status InstallFleetCrd(kube::rest::Client& client, const std::string& field_manager);

// An ACL user with every permission and `password` on the Redis at `port`;
// the server's default user stays as other tests expect it. Shell exit code.
int AddRedisUser(int port, const std::string& user, const std::string& password);

// redis://user@127.0.0.1:port/0 (the password comes from the Secret).
std::string RedisUserUrl(int port, const std::string& user);

// The Secret pricing-redis (key password) the canonical fleet refers to.
nlohmann::json RedisSecret(const std::string& ns, const std::string& password);

// examples/fleet-redis.yaml in `ns`, its queue and lease table on `url` under
// the given key prefixes; the caller adjusts the rest.
nlohmann::json RedisFleet(const std::string& ns, const std::string& url,
                          const std::string& queue_prefix, const std::string& lease_prefix);

}  // namespace agentfleet::testing
