#!/usr/bin/env python3
"""reconciler_bench.py with the whole operator at 10,000 pods (issue 13): one
manual fleet of 10,000 replicas and 10,000 shards, 0 -> 10,000 Ready pods with
every shard assigned at client QPS/burst 200/400 (kube-controller-manager's
here), then the converged fleet's CPU and API writes per pass and RSS, then
its deletion through the running controller's finalizer.

  ten_thousand_bench.py CONTROLLER_BINARY

The knobs are reconciler_bench.py's, with these defaults: AGENTFLEET_BENCH_PODS
[10000], AGENTFLEET_BENCH_SHARDS [10000], AGENTFLEET_BENCH_QPS ["200:400"],
AGENTFLEET_BENCH_RUNS [1]. The fixture cluster's 3 kwok nodes take 4,000 pods
each (tests/cluster/cluster.sh). About 8 minutes on 2 shared cores.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import reconciler_bench as rb  # noqa: E402

DEFAULTS = {"AGENTFLEET_BENCH_PODS": "10000", "AGENTFLEET_BENCH_SHARDS": "10000",
            "AGENTFLEET_BENCH_QPS": "200:400", "AGENTFLEET_BENCH_RUNS": "1"}

if __name__ == "__main__":
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    rb.main()
