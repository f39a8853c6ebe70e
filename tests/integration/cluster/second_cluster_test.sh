#!/usr/bin/env bash
# A second cluster starts beside the fixture's own, both answer independently,
# and `down` stops every process it started and removes its state.
set -euo pipefail
: "${KUBECONFIG:?KUBECONFIG must point at the fixture cluster}"
here=$(cd "$(dirname "$0")/../../cluster" && pwd)
bin=$("$here/build-tools.sh" --path)
dir=$(mktemp -d)/second
trap '"$here/cluster.sh" down "$dir" >/dev/null 2>&1 || true' EXIT

"$here/cluster.sh" up "$dir" --nodes 2
pids=$(cat "$dir"/pids/*)
[[ $(wc -w <<<"$pids") -eq 5 ]] || { echo "FAIL: expected 5 pids, got: $pids"; exit 1; }

second=$("$bin/kubectl" --kubeconfig "$dir/kubeconfig" get nodes --no-headers | grep -cw Ready)
first=$("$bin/kubectl" get nodes --no-headers | grep -cw Ready)
[[ $second -eq 2 ]] || { echo "FAIL: second cluster has $second Ready nodes, want 2"; exit 1; }
[[ $first -ge 3 ]] || { echo "FAIL: fixture cluster has $first Ready nodes, want >= 3"; exit 1; }
"$bin/kubectl" --kubeconfig "$dir/kubeconfig" create namespace only-in-second >/dev/null
if "$bin/kubectl" get namespace only-in-second >/dev/null 2>&1; then
  echo "FAIL: the clusters share state"; exit 1
fi

"$here/cluster.sh" down "$dir"
for pid in $pids; do
  # A zombie waiting for its reaper is dead all the same.
  if [[ -e /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
    echo "FAIL: pid $pid ($(cat /proc/"$pid"/comm 2>/dev/null)) still runs after down"; exit 1
  fi
done
[[ ! -e $dir ]] || { echo "FAIL: $dir still exists after down"; exit 1; }
echo "second cluster: independent, and down left no process behind"
