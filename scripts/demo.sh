#!/usr/bin/env bash
# make demo: the main job on the embedded local control plane.
#
# Starts the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok with fake nodes) and a Redis, installs the chart (CRD,
# ServiceAccount, RBAC; its Deployment scaled to 0, because kwok's nodes run no
# containers), runs agentfleet-controller on this machine under the chart's
# ServiceAccount token, applies the canonical Redis fleet, runs a real
# pricing-agent for every Ready pod (agent-kubelet), pushes a burst of pricing
# tasks and prints a live timeline through scale-up, drain and scale-down, then
# a summary (scripts/demo_driver.py), and draws the timeline as a PNG
# (scripts/demo_plot.py; its path is printed). Everything stops at the end.
#
# Environment: AGENTFLEET_DEMO_KEEP=1 leaves it all running (the commands to
# look around are printed); AGENTFLEET_DEMO_TASKS (default 6000) and
# AGENTFLEET_DEMO_TASK_TIME (default 20ms per task) size the burst;
# AGENTFLEET_DEMO_DIR (default .demo) holds state and logs; BUILD_DIR (build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "${AGENTFLEET_DEMO_DIR:-$root/.demo}" && cd "${AGENTFLEET_DEMO_DIR:-$root/.demo}" && pwd)
build=${BUILD_DIR:-$root/build}
[[ $build == /* ]] || build=$root/$build
tasks=${AGENTFLEET_DEMO_TASKS:-6000}
task_time=${AGENTFLEET_DEMO_TASK_TIME:-20ms}
ns=agentfleet-demo
system=agentfleet-system
redis_user=agentfleet-demo
# Debian's python3: it sees the python3-yaml and python3-redis of install-deps.sh.
py=/usr/bin/python3
step() { printf '\n== %s\n' "$*"; }

step "building (or reusing) the pinned control plane: the first run takes about 20 minutes"
bin=$("$root/tests/cluster/build-tools.sh")
export PATH="$bin:$PATH"
step "building agentfleet-controller, pricing-agent and agent-kubelet: the first run takes a few minutes"
[[ -f $build/build.ninja ]] || cmake -S "$root" -B "$build" -G Ninja >/dev/null
cmake --build "$build" --target agentfleet-controller pricing-agent agent-kubelet

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  "$root/tests/cluster/cluster.sh" down "$dir/cluster" >/dev/null 2>&1 || true
  "$root/tests/servers/redis.sh" down "$dir/redis" >/dev/null 2>&1 || true
}
"$root/tests/cluster/cluster.sh" down "$dir/cluster" >/dev/null 2>&1 || true
"$root/tests/servers/redis.sh" down "$dir/redis" >/dev/null 2>&1 || true
if [[ -z ${AGENTFLEET_DEMO_KEEP:-} ]]; then trap cleanup EXIT; fi

step "starting the local control plane in $dir/cluster"
"$root/tests/cluster/cluster.sh" up "$dir/cluster"
export KUBECONFIG=$dir/cluster/kubeconfig
kubectl get nodes

step "starting Redis (the fleet's task queue and lease table) with a password"
"$root/tests/servers/redis.sh" up "$dir/redis"
redis_port=$(cat "$dir/redis/port")
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
redis-cli -p "$redis_port" ACL SETUSER "$redis_user" on ">$password" '~*' '&*' +@all >/dev/null

step "helm install: the CRD, the ServiceAccount and its RBAC (scoped to $ns)"
kubectl create namespace "$ns" >/dev/null
helm install agentfleet "$root/charts/agentfleet" --namespace "$system" --create-namespace \
  --set replicaCount=0 --set watchNamespace="$ns" --wait >/dev/null
"$root/scripts/wait-crd.sh" pricingagentfleets.agentfleet.io

step "agentfleet-controller, locally, as system:serviceaccount:$system:agentfleet"
sa=$(kubectl -n "$system" get serviceaccounts -o jsonpath='{.items[?(@.metadata.name!="default")].metadata.name}')
sa_kubeconfig=$("$root/tests/cluster/sa-kubeconfig.sh" "$sa" "$system" "$dir" operator)
"$build/bin/agentfleet-controller" --kubeconfig "$sa_kubeconfig" --namespace "$ns" \
  --leader-elect --leader-election-namespace "$system" --leader-election-id "$sa" \
  --metrics-bind-address 0 \
  --health-probe-bind-address 0 >"$dir/controller.log" 2>&1 &
pids+=($!)
echo "log: $dir/controller.log"

step "applying the canonical fleet (examples/fleet-redis.yaml), pointed at this Redis"
url="redis://$redis_user@127.0.0.1:$redis_port/0"
kubectl -n "$ns" create secret generic pricing-redis --from-literal=password="$password" >/dev/null
"$py" - "$root/examples/fleet-redis.yaml" "$url" <<'EOF' | kubectl -n "$ns" apply -f -
import json, sys, yaml
fleet = yaml.safe_load(open(sys.argv[1]))
spec = fleet["spec"]
spec["queue"]["redisStreams"]["url"] = sys.argv[2]
spec["leases"]["redis"]["url"] = sys.argv[2]
# Quicker than production so that the demo takes minutes, not hours.
spec["autoscaling"].update({"maxReplicas": 8, "targetQueueDepthPerAgent": 100,
                            "pollIntervalSeconds": 2})
spec["autoscaling"]["behavior"]["scaleDown"] = {
    "stabilizationWindowSeconds": 15,
    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 5}]}
spec["leases"]["leaseDurationSeconds"] = 6
spec["template"]["spec"]["terminationGracePeriodSeconds"] = 10
print(json.dumps(fleet))
EOF
kubectl -n "$ns" get paf

step "agent-kubelet: a real pricing-agent process for every Ready pod ($task_time per task)"
"$build/bin/agent-kubelet" --namespace "$ns" --selector agentfleet.io/fleet=pricing \
  --log-dir "$dir/agents" -- --tick=500ms --task-time="$task_time" --batch-size=32 \
  --claim-min-idle=2s --metrics-bind-address=0 >"$dir/kubelet.log" 2>&1 &
pids+=($!)
echo "logs: $dir/kubelet.log, $dir/agents/<pod>.log"

step "the scenario: a burst of $tasks tasks, then the drain"
prefix=$(kubectl -n "$ns" get paf pricing -o jsonpath='{.spec.leases.redis.keyPrefix}')
status=0
AGENTFLEET_DEMO_REDIS_PASSWORD=$password "$py" "$root/scripts/demo_driver.py" \
  --kubectl "$bin/kubectl" --namespace "$ns" --redis-port "$redis_port" \
  --redis-user "$redis_user" --prefix "$prefix" --tasks "$tasks" \
  --timeline "$dir/timeline.csv" || status=$?
if [[ -s $dir/timeline.csv ]] && "$py" "$root/scripts/demo_plot.py" "$dir/timeline.csv" \
  "$dir/timeline.png"; then
  echo "timeline: $dir/timeline.png"
else
  echo "timeline: not drawn" >&2
  status=1
fi

kubectl -n "$ns" get paf -o wide
kubectl -n "$ns" get events --field-selector involvedObject.kind=PricingAgentFleet \
  -o custom-columns=REASON:.reason,MESSAGE:.message | tail -n 12
if [[ -n ${AGENTFLEET_DEMO_KEEP:-} ]]; then
  printf '\nStill running (AGENTFLEET_DEMO_KEEP=1). Look around with:\n'
  printf '  export KUBECONFIG=%s PATH=%s:$PATH\n  kubectl -n %s get paf,pods\n' "$KUBECONFIG" "$bin" "$ns"
  printf 'Stop it with: kill %s; tests/cluster/cluster.sh down %s; tests/servers/redis.sh down %s\n' \
    "${pids[*]}" "$dir/cluster" "$dir/redis"
fi
exit "$status"
