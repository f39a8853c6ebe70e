#!/usr/bin/env bash
# `make demo` in a short configuration: the whole scenario (its own control
# plane and Redis, the chart's RBAC, the operator, real agents, a burst, the
# drain) must end with every task priced, a scale-up and back, and no lease
# violation. The demo's own exit code says so; the summary is checked too.
set -euo pipefail
root=${AGENTFLEET_SOURCE_DIR:?run through ctest}
dir=$(mktemp -d /tmp/agentfleet-demo-test-XXXXXX)
out=$dir/demo.out
status=0
AGENTFLEET_DEMO_DIR=$dir/state AGENTFLEET_DEMO_TASKS=${AGENTFLEET_DEMO_TASKS:-1500} \
  BUILD_DIR=$(dirname "$AGENTFLEET_BIN_DIR") "$root/scripts/demo.sh" >"$out" 2>&1 || status=$?
fail() { echo "demo test: $*" >&2; tail -n 60 "$out" >&2; exit 1; }
((status == 0)) || fail "make demo exited $status (state and logs in $dir/state)"
grep -q 'double-holder violations      0' "$out" || fail "no clean violations line"
grep -q 'result                        OK' "$out" || fail "no OK result"
png=$(sed -n 's/^timeline: \(.*\.png\)$/\1/p' "$out")
[[ -n $png && -s $png ]] || fail "no timeline PNG"
[[ $(head -c 8 "$png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$png is no PNG"
if pgrep -f "$dir/state" >/dev/null; then fail "processes left running"; fi
sed -n '/^summary/,$p' "$out" | head -n 8
rm -rf "$dir"
echo "demo test: passed"
