#!/usr/bin/env bash
# e2e: every example manifest (examples/*.yaml) applies cleanly and every
# example fleet reconciles.
#  1. Each file starts with a comment that says how to apply it; the server
#     accepts it (kubectl apply --dry-run=server --validate=strict), then
#     stores it (a real apply into a fresh namespace).
#  2. The same files, with their servers and Secret values pointed at the
#     fixture servers (rewrite_examples.py: Redis through an ACL user whose
#     password only the Secret holds, PostgreSQL with its scram password,
#     RabbitMQ through a monitoring-only user, SQS on ElasticMQ), go into a
#     second namespace, each queue holding a known number of tasks, and
#     agentfleet-controller runs for that namespace. Every fleet must reach:
#     status for its generation, the queue depth read exactly (the source was
#     reached), no Degraded=True condition, the expected pods with
#     agentfleet.io/shards covering every shard once (check_fleets.py).
#  3. Real agents run every example: agent-kubelet starts a pricing-agent
#     process for each pod, with the environment the operator and the
#     example's template give it; $tasks tasks pushed to every fleet's queue
#     (per-shard streams, the Redis list, SQS, RabbitMQ: agent_run.py) are all
#     priced into the fleet's result store, repriced, while the lease tables
#     sampled from outside never show two valid holders of a shard or a token
#     going down; the queues then drain (the seeded junk is dead-lettered).
#  4. Deleting the fleets runs their lease-cleanup finalizer (an Event
#     LeasesDeleted each); no log holds a credential; the controller stops
#     cleanly on SIGTERM.
# Everything it creates (namespaces, Redis user and keys, RabbitMQ vhost and
# user, the SQS queue, the controller) is removed on exit, also on failure.
# Run through ctest (ctest -R e2e_examples), which starts the fixtures and
# sets KUBECONFIG, AGENTFLEET_TOOLS, AGENTFLEET_BIN_DIR and the AGENTFLEET_*_DIR
# of the redis, postgres, rabbitmq and elasticmq fixtures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${AGENTFLEET_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
log() { echo "[examples $(date +%H:%M:%S)] $*" >&2; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for v in KUBECONFIG AGENTFLEET_TOOLS AGENTFLEET_BIN_DIR AGENTFLEET_REDIS_DIR \
  AGENTFLEET_POSTGRES_DIR AGENTFLEET_RABBITMQ_DIR AGENTFLEET_ELASTICMQ_DIR; do
  [[ -n ${!v:-} ]] || fail "\$$v is not set (run through ctest: ctest -R e2e_examples)"
done
controller=$AGENTFLEET_BIN_DIR/agentfleet-controller
[[ -x $controller ]] || fail "$controller is not built"
PATH=$("$AGENTFLEET_TOOLS" --path):$PATH
for tool in kubectl redis-cli curl python3 openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH"
done
python3 -c 'import yaml' 2>/dev/null || fail "python3 has no yaml module (python3-yaml)"

depth=3  # tasks put into every fleet's queue
tasks=40  # then priced by real agents, per fleet
id=ex$$$RANDOM
ns_plain=$id-plain
ns_run=$id-run
work=$(mktemp -d "${TMPDIR:-/tmp}/agentfleet-e2e-examples.XXXXXX")
ctl_pid=
kubelet_pid=
# shellcheck source=../lib/fixture_servers.sh
source "$here/../lib/fixture_servers.sh"

stop_controller() {
  [[ -n $ctl_pid ]] || return 0
  kill -TERM "$ctl_pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$ctl_pid" 2>/dev/null || true
  wait "$ctl_pid" 2>/dev/null || true
  ctl_pid=
}

stop_kubelet() {
  [[ -n $kubelet_pid ]] || return 0
  kill -TERM "$kubelet_pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$kubelet_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$kubelet_pid" 2>/dev/null || true
  wait "$kubelet_pid" 2>/dev/null || true
  kubelet_pid=
}

cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)) && [[ -f $work/controller.log ]]; then
    echo "--- last lines of the controller's log ($work/controller.log) ---" >&2
    tail -40 "$work/controller.log" >&2
  fi
  stop_kubelet
  stop_controller
  # Without the controller nobody removes the finalizer: drop it, or the
  # namespace would stay Terminating.
  for ns in "$ns_run" "$ns_plain"; do
    for f in $(kubectl get pricingagentfleets -n "$ns" -o name 2>/dev/null); do
      kubectl patch -n "$ns" "$f" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
    done
    kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
  done
  fixture_servers_down
  if ((rc == 0)); then rm -rf "$work"; else echo "(files kept in $work)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the files -----------------------------------------------------------------
cd "$src/examples"
mapfile -t files < <({ ls -1 -- *-secret.yaml; ls -1 -- *.yaml | grep -v -- '-secret\.yaml$'; } 2>/dev/null)
((${#files[@]} > 0)) || fail "no example files in $src/examples"
log "${#files[@]} example files: ${files[*]}"
# Each says how to apply it, itself or in the apply line of the example that
# needs it (a Secret's comment may leave that to its fleet's).
for f in "${files[@]}"; do
  [[ $(head -1 "$f") == '#'* ]] || fail "examples/$f does not start with a comment saying what it shows"
  grep -q '^#.*kubectl apply' "$f" ||
    grep -q -e "^#.*-f examples/$f\b" -- *.yaml ||
    fail "examples/$f: no comment says how to apply it (kubectl apply -f examples/$f ...)"
done

# --- 1: the server accepts and stores every file --------------------------------
kubectl apply --server-side --force-conflicts --field-manager=agentfleet-e2e-examples \
  -f "$src/crds/agentfleet.io_pricingagentfleets.yaml" >/dev/null
"$src/scripts/wait-crd.sh" pricingagentfleets.agentfleet.io
for _ in $(seq 100); do kubectl get pricingagentfleets -n default >/dev/null 2>&1 && break; sleep 0.3; done
kubectl create namespace "$ns_plain" >/dev/null
kubectl create namespace "$ns_run" >/dev/null

for f in "${files[@]}"; do
  out=$(kubectl apply --dry-run=server --validate=strict -n "$ns_plain" -f "$f" 2>&1) ||
    fail "examples/$f is refused by the API server (dry run): $out"
  out=$(kubectl apply --validate=strict -n "$ns_plain" -f "$f" 2>&1) ||
    fail "examples/$f is refused by the API server: $out"
  kubectl get -n "$ns_plain" -f "$f" -o name >/dev/null 2>&1 || fail "examples/$f: applied, but not stored"
done
log "every file passes a server dry run and is stored in namespace $ns_plain"

# --- 2: the fixture servers ------------------------------------------------------
fixture_servers_up "$id" "$work/endpoints.json"
python3 "$here/rewrite_examples.py" "$work/endpoints.json" "$work/rewritten" "${files[@]}" >"$work/plan.json" ||
  fail "cannot point the examples at the fixture servers (see above)"
fleets=$(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))))' "$work/plan.json")
[[ -n $fleets ]] || fail "the examples hold no PricingAgentFleet"
log "fleets: $fleets"

fixture_seed_queues "$work/plan.json" "$depth"

for f in "${files[@]}"; do
  out=$(kubectl apply --validate=strict -n "$ns_run" -f "$work/rewritten/$f" 2>&1) ||
    fail "examples/$f, pointed at the fixture servers, is refused: $out"
done

# --- 2: the controller reconciles every fleet -----------------------------------
# Under timeout(1): should this script be killed outright (a ctest timeout),
# the controller still ends.
timeout --kill-after=10 400 "$controller" --kubeconfig "$KUBECONFIG" --namespace "$ns_run" \
  --leader-elect=false --metrics-bind-address 0 --health-probe-bind-address 0 \
  >"$work/controller.log" 2>&1 &
ctl_pid=$!
log "agentfleet-controller (pid $ctl_pid) reconciles namespace $ns_run"

deadline=$((SECONDS + 150))
while :; do
  kill -0 "$ctl_pid" 2>/dev/null || fail "agentfleet-controller exited early"
  if kubectl get pricingagentfleets -n "$ns_run" -o json >"$work/fleets.json" 2>/dev/null &&
    kubectl get pods -n "$ns_run" -l agentfleet.io/fleet -o json >"$work/pods.json" 2>/dev/null &&
    python3 "$here/check_fleets.py" "$work/plan.json" "$depth" "$work/fleets.json" "$work/pods.json" \
      >"$work/problems.txt"; then
    break
  fi
  if ((SECONDS > deadline)); then
    cat "$work/problems.txt" >&2
    fail "the example fleets did not reconcile within 150 s (problems above)"
  fi
  sleep 2
done
log "every fleet reconciled: pods created and assigned every shard once, queue depth $depth read, not Degraded"
kubectl get pricingagentfleets -n "$ns_run" -o wide >&2

# --- 3: real agents price every fleet's tasks -----------------------------------
mkdir -p "$work/agents"
timeout --kill-after=10 300 "$AGENTFLEET_BIN_DIR/agent-kubelet" --kubeconfig "$KUBECONFIG" \
  --namespace "$ns_run" --selector agentfleet.io/fleet --log-dir "$work/agents" --poll-ms 200 \
  -- --tick=200ms --block=200ms --claim-min-idle=2s --batch-size=16 --visibility-timeout=10s \
  --metrics-bind-address=0 >"$work/kubelet.log" 2>&1 &
kubelet_pid=$!
sample_leases() {
  python3 "$here/agent_run.py" leases "$work/tasks.json" "$ns_run" "$work/endpoints.json" "$work/leases.json" ||
    fail "the lease table, read from outside: see above"
}
python3 "$here/agent_run.py" push "$work/plan.json" "$work/endpoints.json" "$tasks" "$work/tasks.json" ||
  fail "cannot push the tasks (see above)"
log "agent-kubelet (pid $kubelet_pid) runs the agents; $tasks tasks pushed to every fleet's queue"
deadline=$((SECONDS + 120))
until python3 "$here/agent_run.py" check "$work/tasks.json" "$ns_run" "$work/endpoints.json" >"$work/priced.txt"; do
  kill -0 "$kubelet_pid" 2>/dev/null || fail "agent-kubelet exited early (log: $work/kubelet.log)"
  sample_leases
  if ((SECONDS > deadline)); then
    cat "$work/priced.txt" >&2
    tail -5 "$work/agents"/*.log >&2
    fail "the agents did not price every task within 120 s (above)"
  fi
  sleep 1
done
sample_leases
log "every fleet's $tasks tasks priced by its agents"
# The seeded junk is dead-lettered, the tasks done: every queue drains.
deadline=$((SECONDS + 60))
until kubectl get pricingagentfleets -n "$ns_run" -o json |
  python3 -c 'import json,sys; sys.exit(any(f.get("status",{}).get("queueDepth",-1) != 0 for f in json.load(sys.stdin)["items"]))'; do
  ((SECONDS < deadline)) || {
    kubectl get pricingagentfleets -n "$ns_run" -o wide >&2
    fail "the queues did not drain within 60 s"
  }
  for _ in 1 2 3 4; do sample_leases; sleep 0.5; done
done
sample_leases
# The samples must have seen the agents' leases: an empty table (a wrong
# key, a wrong fleet id) would pass every check.
samples=$(python3 -c '
import json, sys
state = json.load(open(sys.argv[1]))
blind = [f for f, s in state.items() if not s["holders"]]
if blind:
    sys.exit("no valid lease seen in the lease table of " + ", ".join(blind))
print(min(s["samples"] for s in state.values()))' "$work/leases.json") || fail "the lease samples saw no agent"

log "every queue drained (status.queueDepth 0); $samples lease-table samples per fleet while the agents ran: no shard with two valid holders, no token going down"
stop_kubelet
for s in "${fixture_secrets[@]}"; do
  if grep -rqF -- "$s" "$work/agents" "$work/kubelet.log"; then fail "a credential leaked into an agent's log"; fi
done

# --- 4: deletion runs the finalizer ---------------------------------------------
kubectl delete pricingagentfleets --all -n "$ns_run" --timeout=90s >/dev/null ||
  fail "the fleets were not deleted within 90 s (their lease-cleanup finalizer stayed)"
left=$(kubectl get pricingagentfleets -n "$ns_run" -o name)
[[ -z $left ]] || fail "fleets left after deletion: $left"
want=$(wc -w <<<"$fleets")
for _ in $(seq 60); do
  got=$(kubectl get events.events.k8s.io -n "$ns_run" -o json |
    python3 -c 'import json,sys; print(len({e["regarding"]["name"] for e in json.load(sys.stdin)["items"] if e.get("reason") == "LeasesDeleted"}))') || got=0
  ((got >= want)) && break
  sleep 0.5
done
((got >= want)) || fail "LeasesDeleted events for $got of $want fleets"
log "deleting the fleets ran their lease-cleanup finalizer ($got LeasesDeleted events)"

# --- 4: no credential in the log; a clean stop ---------------------------------
for s in "${fixture_secrets[@]}"; do
  if grep -qF -- "$s" "$work/controller.log"; then fail "a credential leaked into the controller's log"; fi
done
kill -TERM "$ctl_pid"
code=0
for _ in $(seq 150); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ctl_pid" 2>/dev/null && fail "agentfleet-controller did not stop within 15 s of SIGTERM"
wait "$ctl_pid" || code=$?
ctl_pid=
((code == 0)) || fail "agentfleet-controller exited with $code after SIGTERM"
log "PASS: ${#files[@]} files applied; fleets $fleets reconciled and deleted"
