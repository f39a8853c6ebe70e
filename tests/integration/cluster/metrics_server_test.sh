#!/usr/bin/env bash
# metrics.k8s.io on the local control plane is the real pipeline: kwok serves
# each fake node's kubelet resource metrics with the usage a pod's annotations
# give, the real metrics-server scrapes them, and kube-apiserver's aggregation
# layer serves its PodMetrics, authorized per user like any other resource.
set -euo pipefail
: "${KUBECONFIG:?KUBECONFIG must point at the test cluster}"
bin=$("$AGENTFLEET_TOOLS" --path)
k() { "$bin/kubectl" "$@"; }
ns=metrics-$RANDOM$RANDOM
fail() {
  echo "FAIL: $*" >&2
  k get apiservice v1beta1.metrics.k8s.io -o yaml >&2 || true
  exit 1
}
trap 'k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT

k create namespace "$ns" >/dev/null
k apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: busy
  annotations: {kwok.x-k8s.io/usage-cpu: 250m, kwok.x-k8s.io/usage-memory: 64Mi}
spec:
  containers:
  - name: agent
    image: registry.invalid/agent:1
    resources: {requests: {cpu: 500m, memory: 128Mi}}
YAML

# Two scrapes 10 s apart make the first cpu rate: about 30 s after the pod runs.
raw=""
for _ in $(seq 90); do
  raw=$(k get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$ns/pods/busy" 2>/dev/null) && break
  sleep 1
done
[[ -n $raw ]] || fail "no PodMetrics for $ns/busy within 90 s"
read -r cpu memory < <(python3 -c '
import json, sys
c = json.loads(sys.argv[1])["containers"][0]["usage"]
def cores(q):
    return float(q[:-1]) / 1e9 if q.endswith("n") else float(q[:-1]) / 1e3 if q.endswith("m") else float(q)
def byts(q):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return int(q[:-2]) * units[q[-2:]] if q[-2:] in units else int(q)
print(cores(c["cpu"]), byts(c["memory"]))' "$raw")
echo "PodMetrics $ns/busy: cpu $cpu cores, memory $memory bytes"
python3 -c "import sys; sys.exit(0 if 0.2 <= $cpu <= 0.3 else 1)" || fail "cpu $cpu is not the 250m kwok was told"
((memory == 64 * 1024 * 1024)) || fail "memory $memory is not the 64Mi kwok was told"

sa="system:serviceaccount:$ns:reader"
k create serviceaccount reader -n "$ns" >/dev/null
k get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$ns/pods/busy" --as="$sa" >/dev/null 2>&1 &&
  fail "a ServiceAccount without RBAC read PodMetrics"
k create role metrics-reader -n "$ns" --verb=get,list --resource=pods.metrics.k8s.io >/dev/null
k create rolebinding reader -n "$ns" --role=metrics-reader --serviceaccount="$ns:reader" >/dev/null
for _ in $(seq 20); do
  k get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$ns/pods?labelSelector=" --as="$sa" >/dev/null 2>&1 && break
  sleep 0.5
done
k get --raw "/apis/metrics.k8s.io/v1beta1/namespaces/$ns/pods" --as="$sa" >/dev/null ||
  fail "the Role's pods.metrics.k8s.io was not honoured"
echo "RBAC: PodMetrics refused without a binding, served with one"
echo "metrics-server test passed"
