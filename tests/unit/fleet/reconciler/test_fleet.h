#pragma once

#include "controller/fleet/api/types.h"

namespace agentfleet::fleet::reconciler::testing {

// A manual-mode fleet with a Redis streams queue and Redis leases.
inline api::Fleet TestFleet() {
  api::Fleet f;
  f.meta.name = "pricing";
  f.meta.namespace_name = "shop";
  f.meta.uid = "uid-1";
  f.meta.generation = 3;
  f.spec.shards = 12;
  f.spec.replicas = 3;
  f.spec.queue = api::RedisStreamsQueue{"redis://10.0.0.1:6380/2",
                                        "pricing:tasks",
                                        "agents",
                                        api::SecretKeyRef{"pricing-redis", "password"},
                                        {}};
  f.spec.leases.store = api::RedisLeaseStore{"redis://10.0.0.1:6380/2",
                                             "agentfleet:pricing:",
                                             api::SecretKeyRef{"pricing-redis", "password"},
                                             {}};
  f.spec.leases.lease_duration = api::Seconds(20);
  f.spec.retirement.drain_timeout = api::Seconds(120);
  f.spec.pod_template = nlohmann::json::parse(R"({
    "metadata": {"labels": {"app.kubernetes.io/name": "pricing-agent"},
                 "annotations": {"team": "pricing"}},
    "spec": {"containers": [
      {"name": "agent", "image": "agent:1", "env": [{"name": "AGENTFLEET_FLEET", "value": "x"},
                                                    {"name": "LOG", "value": "debug"}]},
      {"name": "sidecar", "image": "side:1",
       "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
      "volumes": [{"name": "data", "emptyDir": {}}]}})");
  return f;
}

}  // namespace agentfleet::fleet::reconciler::testing
