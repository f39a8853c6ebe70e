#!/usr/bin/env bash
# The local control plane is a real one: a Deployment's pods are scheduled onto
# kwok nodes and become Ready, the garbage collector removes them with their
# owner, and RBAC decides what a service account may do.
set -euo pipefail
: "${KUBECONFIG:?KUBECONFIG must point at the test cluster}"
bin=$("$AGENTFLEET_TOOLS" --path)
k() { "$bin/kubectl" "$@"; }
ns=smoke-$RANDOM$RANDOM
fail() { echo "FAIL: $*" >&2; k get pods -n "$ns" -o wide >&2 || true; exit 1; }
trap 'k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT

k create namespace "$ns" >/dev/null
k apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: registry.invalid/web:1}
YAML
k rollout status -n "$ns" deployment/web --timeout=90s >/dev/null || fail "deployment never became available"
ready=$(k get pods -n "$ns" -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')
echo "$ready"
[[ $(grep -c '^kwok-node-[0-9]* Running True$' <<<"$ready") -eq 3 ]] || fail "expected 3 Running, Ready pods on kwok nodes"

k delete -n "$ns" deployment/web --wait=true >/dev/null
for _ in $(seq 150); do
  left=$(k get pods,replicasets -n "$ns" -l app=web --no-headers 2>/dev/null | wc -l)
  ((left == 0)) && break
  sleep 0.2
done
((left == 0)) || fail "garbage collector left $left pods/replicasets behind"
echo "garbage collection: pods and replicaset gone"

sa="system:serviceaccount:$ns:reader"
k create serviceaccount reader -n "$ns" >/dev/null
[[ $(k auth can-i list pods -n "$ns" --as="$sa" || true) == no ]] || fail "RBAC allowed before any binding"
k create role pod-reader -n "$ns" --verb=get,list,watch --resource=pods >/dev/null
k create rolebinding reader -n "$ns" --role=pod-reader --serviceaccount="$ns:reader" >/dev/null
[[ $(k auth can-i list pods -n "$ns" --as="$sa") == yes ]] || fail "Role binding not honoured"
[[ $(k auth can-i delete pods -n "$ns" --as="$sa" || true) == no ]] || fail "RBAC allowed a verb the Role lacks"
[[ $(k auth can-i list pods -n default --as="$sa" || true) == no ]] || fail "RBAC leaked across namespaces"
echo "RBAC: binding followed, everything else denied"
echo "cluster smoke test passed"
