#!/usr/bin/env bash
# A real local Kubernetes control plane as plain processes:
# etcd, kube-apiserver (TLS, RBAC, service-account tokens, the aggregation
# layer), kube-controller-manager, kube-scheduler and kwok with fake nodes that
# serve the kubelet's resource metrics. All on 127.0.0.1, free ports.
#   cluster.sh up   DIR [--nodes N]   start a cluster whose state lives in DIR
#   cluster.sh down DIR               stop every process it started (by pid), remove DIR
#   cluster.sh env  DIR               print KUBECONFIG=... for eval
#   cluster.sh restart DIR COMPONENT  kill -9 one component and start it again
#                                     with the same flags (tests of crash recovery)
#   cluster.sh compact DIR            compact etcd at its current revision, so
#                                     watches from older versions get 410 Gone
#   cluster.sh metrics-server-up DIR  start metrics-server (built on demand) and
#                                     serve metrics.k8s.io through an APIService
#   cluster.sh metrics-server-down DIR  remove the APIService, stop metrics-server
# kwok gives each container the cpu and memory its pod's annotations
# kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory say (1m and 1Mi
# without them); metrics-server reports a pod two or three scrapes (10 s each)
# after kwok first sees it.
# The API server's audit log (writes only, with their user agents) is
# DIR/audit/audit.log, rotated at 200 MB into DIR/audit/audit-*.log.
# Several clusters can run at once, each in its own DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: $0 up|down|env|compact|metrics-server-up|metrics-server-down DIR [--nodes N]" \
    "| restart DIR COMPONENT" >&2
  exit 2
}
(($# >= 2)) || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2
component=""
if [[ $cmd == restart ]]; then
  (($# == 1)) || usage
  component=$1
  shift
fi
nodes=${AGENTFLEET_CLUSTER_NODES:-3}
pods_per_node=${AGENTFLEET_CLUSTER_PODS_PER_NODE:-4000}
while (($#)); do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    *) usage ;;
  esac
done

log() { echo "[cluster $(date +%H:%M:%S)] $*" >&2; }

# Alive and not a zombie: a process whose parent has gone may wait a moment
# before something reaps it, and is dead all the same.
running() { [[ -e /proc/$1 ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

stop_all() {
  local pids=() pid name
  for name in metrics-server kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    [[ -f $dir/pids/$name ]] || continue
    pid=$(cat "$dir/pids/$name")
    running "$pid" && pids+=("$pid")
  done
  # The state is thrown away with the directory, so nothing needs a graceful
  # shutdown (the API server's alone takes seconds).
  ((${#pids[@]})) && kill -9 "${pids[@]}" 2>/dev/null || true
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do running "$pid" || break; sleep 0.05; done
  done
  rm -f "$dir"/pids/*
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() { # run NAME ARGS...: start in the background, remember the pid and the command
  local name=$1; shift
  mkdir -p "$dir/cmd"
  printf '%s\0' "$@" >"$dir/cmd/$name"
  "$@" >"$dir/logs/$name.log" 2>&1 &
  echo $! >"$dir/pids/$name"
}

wait_for() { # wait_for WHAT TIMEOUT COMMAND...: WHAT names a component or a condition
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then log "timed out waiting for $what"; return 1; fi
    if [[ -f $dir/pids/$what ]] && ! kill -0 "$(cat "$dir/pids/$what")" 2>/dev/null; then
      log "$what exited; the end of $dir/logs/$what.log:"
      tail -n 5 "$dir/logs/$what.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# metrics-server as an aggregated API: kube-apiserver proxies metrics.k8s.io to
# it (as front-proxy-client) through an ExternalName Service, which needs no
# kube-proxy; it scrapes kwok's /metrics/nodes/NAME/metrics/resource over TLS.
metrics_server_up() {
  [[ -f $dir/kwok-port ]] || { log "no cluster serving kubelet metrics in $dir"; exit 1; }
  local bin ms_bin port
  bin=$("$here/build-tools.sh" --path)
  ms_bin=$("$here/build-tools.sh" metrics-server)
  local kubectl=("$bin/kubectl" --kubeconfig "$dir/kubeconfig")
  port=$(free_port)
  # As admin: it lists nodes and pods and reads kube-system's
  # extension-apiserver-authentication; the requests it serves are still
  # authorized for their own user (delegated to kube-apiserver).
  run metrics-server "$ms_bin/metrics-server" \
    --kubeconfig "$dir/kubeconfig" --authentication-kubeconfig "$dir/kubeconfig" \
    --authorization-kubeconfig "$dir/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$port" \
    --tls-cert-file "$dir/pki/metrics-server.crt" --tls-private-key-file "$dir/pki/metrics-server.key" \
    --kubelet-port "$(cat "$dir/kwok-port")" --kubelet-preferred-address-types InternalIP \
    --kubelet-certificate-authority "$dir/pki/ca.crt" \
    --metric-resolution 10s --kubelet-request-timeout 5s
  wait_for metrics-server 60 curl -sf --cacert "$dir/pki/ca.crt" "https://127.0.0.1:$port/livez"
  "${kubectl[@]}" apply -f - >/dev/null <<MS
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec:
  type: ExternalName
  externalName: 127.0.0.1
  ports: [{name: https, port: $port, protocol: TCP}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  caBundle: $(base64 -w0 "$dir/pki/ca.crt")
  service: {name: metrics-server, namespace: kube-system, port: $port}
MS
  local path='{.status.conditions[?(@.type=="Available")].status}'
  wait_for "the APIService v1beta1.metrics.k8s.io" 120 bash -c \
    "[[ \$('$bin/kubectl' --kubeconfig '$dir/kubeconfig' get apiservice v1beta1.metrics.k8s.io -o jsonpath='$path') == True ]]"
  log "metrics-server up on 127.0.0.1:$port, serving metrics.k8s.io/v1beta1"
}

# The APIService goes first: an aggregated API that does not answer stalls
# every namespace's deletion (the namespace controller cannot list its kinds).
metrics_server_down() {
  local bin
  bin=$("$here/build-tools.sh" --path)
  "$bin/kubectl" --kubeconfig "$dir/kubeconfig" delete apiservice v1beta1.metrics.k8s.io \
    --ignore-not-found >/dev/null 2>&1 || true
  "$bin/kubectl" --kubeconfig "$dir/kubeconfig" delete service metrics-server -n kube-system \
    --ignore-not-found >/dev/null 2>&1 || true
  if [[ -f $dir/pids/metrics-server ]]; then
    kill -9 "$(cat "$dir/pids/metrics-server")" 2>/dev/null || true
    rm -f "$dir/pids/metrics-server"
  fi
  log "metrics-server stopped"
}

case $cmd in
  metrics-server-up)
    metrics_server_up
    exit 0
    ;;
  metrics-server-down)
    metrics_server_down
    exit 0
    ;;
  down)
    stop_all
    rm -rf "$dir"
    log "stopped and removed $dir"
    exit 0
    ;;
  env)
    echo "KUBECONFIG=$dir/kubeconfig"
    exit 0
    ;;
  compact)
    bin=$("$here/build-tools.sh" --path)
    endpoint=$(cat "$dir/etcd-endpoint")
    rev=$("$bin/etcdctl" --endpoints "$endpoint" endpoint status -w json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
    "$bin/etcdctl" --endpoints "$endpoint" compact "$rev" >/dev/null
    log "etcd compacted at revision $rev"
    exit 0
    ;;
  restart)
    [[ -f $dir/cmd/$component ]] || { log "no component $component in $dir"; exit 1; }
    kill -9 "$(cat "$dir/pids/$component")" 2>/dev/null || true
    while kill -0 "$(cat "$dir/pids/$component")" 2>/dev/null; do sleep 0.05; done
    mapfile -d '' argv <"$dir/cmd/$component"
    "${argv[@]}" >>"$dir/logs/$component.log" 2>&1 &
    echo $! >"$dir/pids/$component"
    if [[ $component == kube-apiserver ]]; then
      port=$(cat "$dir/apiserver-port")
      for _ in $(seq 300); do
        curl -sf --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
          "https://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.2
      done
    fi
    log "restarted $component"
    exit 0
    ;;
  up) ;;
  *) usage ;;
esac

if [[ -f $dir/pids/kube-apiserver ]] && kill -0 "$(cat "$dir/pids/kube-apiserver")" 2>/dev/null; then
  log "a cluster already runs in $dir; 'cluster.sh down $dir' first"
  exit 1
fi

bin=$("$here/build-tools.sh")
start=$SECONDS
mkdir -p "$dir"/{pki,pids,logs,etcd}
# Started processes must not outlive a failed start.
trap 'rc=$?; if ((rc != 0)); then log "start failed (exit $rc); logs in $dir/logs"; stop_all; fi' EXIT

etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port)
echo "$api_port" >"$dir/apiserver-port"

"$here/pki.sh" "$dir/pki" >/dev/null

kubeconfig() { # kubeconfig FILE USER
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $dir/pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $dir/pki/$2.crt
    client-key: $dir/pki/$2.key
contexts:
- name: local
  context: {cluster: local, user: $2, namespace: default}
current-context: local
KC
}
kubeconfig "$dir/kubeconfig" admin
kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
kubeconfig "$dir/scheduler.kubeconfig" scheduler

run etcd "$bin/etcd" --name local --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "local=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn
echo "http://127.0.0.1:$etcd_port" >"$dir/etcd-endpoint"
wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

# The audit log is the evidence from outside the operator: who wrote what,
# when, with its user agent. Writes only, at Metadata level, and none of the
# control plane's own (kwok's pod and node status, node heartbeats, the
# scheduler's bindings), so it stays small through a whole test run.
mkdir -p "$dir/audit"
cat >"$dir/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-scheduler", "system:kube-controller-manager"]
  - level: None
    userGroups: ["system:serviceaccounts", "system:nodes"]
  - level: None
    namespaces: ["kube-node-lease"]
  - level: None
    resources:
      - group: ""
        resources: ["pods/status", "pods/binding", "nodes", "nodes/status"]
  - level: Metadata
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  - level: None
POLICY

run kube-apiserver "$bin/kube-apiserver" \
  --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$dir/audit/audit.log" \
  --audit-log-format json --audit-log-maxsize 200 --audit-log-maxbackup 2 \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --cert-dir "$dir/pki" --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
  --client-ca-file "$dir/pki/ca.crt" \
  --requestheader-client-ca-file "$dir/pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$dir/pki/front-proxy-client.crt" --proxy-client-key-file "$dir/pki/front-proxy-client.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
  --api-audiences https://kubernetes.default.svc.cluster.local \
  --authorization-mode RBAC \
  --enable-admission-plugins NamespaceLifecycle,ServiceAccount,LimitRanger,ResourceQuota,DefaultStorageClass \
  --service-cluster-ip-range 10.96.0.0/16 --allow-privileged --endpoint-reconciler-type none \
  --storage-media-type application/vnd.kubernetes.protobuf \
  --max-requests-inflight 1000 --max-mutating-requests-inflight 500
wait_for kube-apiserver 60 curl -sf --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
  --key "$dir/pki/admin.key" "https://127.0.0.1:$api_port/readyz"

run kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
  --use-service-account-credentials \
  --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
  --cluster-name local \
  --kube-api-qps 200 --kube-api-burst 400 --concurrent-gc-syncs 20

run kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$dir/scheduler.kubeconfig" \
  --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
  --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
  --kube-api-qps 200 --kube-api-burst 400

kubectl=("$bin/kubectl" --kubeconfig "$dir/kubeconfig")
# Pods, not CPU or memory, bound what a node takes: 10,000 agent pods of the
# examples' 100m requests fit on the default 3 nodes (bench_fleet_reconciler_10k).
for i in $(seq 0 $((nodes - 1))); do
  cat <<NODE
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
    metrics.k8s.io/resource-metrics-path: /metrics/nodes/kwok-node-$i/metrics/resource
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    type: kwok
status:
  allocatable: {cpu: "1024", memory: 1Ti, pods: "$pods_per_node"}
  capacity: {cpu: "1024", memory: 1Ti, pods: "$pods_per_node"}
NODE
done >"$dir/nodes.yaml"
"${kubectl[@]}" apply -f "$dir/nodes.yaml" >/dev/null

# kwok's server plays the kubelets' (metrics-server scrapes it), on a port
# chosen here so that metrics-server can be told it.
kwok_port=$(free_port)
echo "$kwok_port" >"$dir/kwok-port"
run kwok "$bin/kwok" --kubeconfig "$dir/kubeconfig" \
  --config "$here/kwok-stages.yaml" --config "$here/kwok-metrics.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-ip 127.0.0.1 --node-lease-duration-seconds 40 \
  --server-address "127.0.0.1:$kwok_port" \
  --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
  --cidr 10.244.0.0/16

wait_for "$nodes Ready nodes" 60 bash -c \
  "[[ \$('${bin}/kubectl' --kubeconfig '$dir/kubeconfig' get nodes --no-headers 2>/dev/null | grep -cw Ready) -ge $nodes ]]"
# The service-account controller makes 'default' in each namespace; pods need it.
wait_for "default service account" 30 "${kubectl[@]}" get serviceaccount default -n default

trap - EXIT
log "cluster up in $((SECONDS - start))s: KUBECONFIG=$dir/kubeconfig ($nodes kwok nodes)"
