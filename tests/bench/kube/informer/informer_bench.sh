#!/usr/bin/env bash
# Memory and speed of a pod informer holding 10,000 agent-shaped pods.
set -euo pipefail
bench=$1
count=${AGENTFLEET_BENCH_PODS:-10000}
ns=bench-informer-$RANDOM
"$bench" populate "$ns" "$count"
"$bench" measure "$ns" "$count"
