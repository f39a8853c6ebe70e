#!/usr/bin/env bash
# make demo: the main job on the embedded local control plane.
# Today (before the fleet reconciler lands) it starts the control plane,
# installs the PricingAgentFleet CRD, applies the canonical fleet, shows what
# the API server makes of it, and tears everything down. Set
# AGENTFLEET_DEMO_KEEP=1 to leave the cluster running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${AGENTFLEET_DEMO_DIR:-$root/.demo}
cluster=$root/tests/cluster/cluster.sh
step() { printf '\n== %s\n' "$*"; }

step "building (or reusing) the pinned control plane — the first run takes about 20 minutes"
bin=$("$root/tests/cluster/build-tools.sh")
k() { "$bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

step "starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok in $dir"
"$cluster" down "$dir" >/dev/null 2>&1 || true
if [[ -z ${AGENTFLEET_DEMO_KEEP:-} ]]; then trap '"$cluster" down "$dir" >/dev/null 2>&1' EXIT; fi
"$cluster" up "$dir"
k get nodes

step "installing the PricingAgentFleet CRD"
k apply --server-side -f "$root/crds/agentfleet.io_pricingagentfleets.yaml"
k wait --for=condition=Established crd/pricingagentfleets.agentfleet.io --timeout=60s

step "applying the canonical fleet (examples/fleet-redis.yaml) and its Secret"
k apply -f "$root/examples/fleet-redis-secret.yaml" -f "$root/examples/fleet-redis.yaml"
k get paf -o wide
k explain pricingagentfleet.spec.autoscaling | head -n 20

step "what admission refuses: minReplicas above maxReplicas"
k get paf -o json | python3 -c '
import json, sys
fleet = json.load(sys.stdin)["items"][0]
fleet["metadata"] = {"name": "broken", "namespace": fleet["metadata"]["namespace"]}
fleet["spec"]["autoscaling"]["minReplicas"] = 9
fleet["spec"]["autoscaling"]["maxReplicas"] = 2
fleet.pop("status", None)
print(json.dumps(fleet))' | k apply -f - || true

printf '\nThe fleet reconciler (scale with the queue, shard hand-offs, drain) is the next step;\n'
printf 'until it lands the fleet above is accepted and validated but not acted on.\n'
