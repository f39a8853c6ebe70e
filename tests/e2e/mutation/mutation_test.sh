#!/usr/bin/env bash
# e2e: the mutation run (mutate.py says what it checks). Random mutations of
# the example fleets, pointed at the fixture servers, go to the real API
# server as a server-side dry run and, when admitted, for real into a
# namespace that agentfleet-controller (as shipped) reconciles; then this
# script checks what mutate.py cannot see: the controller stayed up all along,
# its log holds no credential, it stops cleanly on SIGTERM.
# AGENTFLEET_MUTATION_SEED repeats a run; AGENTFLEET_MUTATIONS and
# AGENTFLEET_MUTATIONS_APPLIED size it. Run through ctest (ctest -R
# e2e_mutation), which starts the fixtures and sets the environment.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${AGENTFLEET_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
log() { echo "[mutation $(date +%H:%M:%S)] $*" >&2; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for v in KUBECONFIG AGENTFLEET_TOOLS AGENTFLEET_BIN_DIR AGENTFLEET_REDIS_DIR \
  AGENTFLEET_POSTGRES_DIR AGENTFLEET_RABBITMQ_DIR AGENTFLEET_ELASTICMQ_DIR; do
  [[ -n ${!v:-} ]] || fail "\$$v is not set (run through ctest: ctest -R e2e_mutation)"
done
controller=$AGENTFLEET_BIN_DIR/agentfleet-controller
[[ -x $controller ]] || fail "$controller is not built"
PATH=$("$AGENTFLEET_TOOLS" --path):$PATH
python3 -c 'import yaml' 2>/dev/null || fail "python3 has no yaml module (python3-yaml)"

id=mu$$$RANDOM
ns=$id-run
work=$(mktemp -d "${TMPDIR:-/tmp}/agentfleet-e2e-mutation.XXXXXX")
ctl_pid=
proxy_pid=
# shellcheck source=../lib/fixture_servers.sh
source "$here/../lib/fixture_servers.sh"

stop() {  # PID: SIGTERM, then SIGKILL after 15 s
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if ((rc != 0)) && [[ -f $work/controller.log ]]; then
    echo "--- last lines of the controller's log ($work/controller.log) ---" >&2
    tail -40 "$work/controller.log" >&2
  fi
  [[ -z $ctl_pid ]] || stop "$ctl_pid"
  [[ -z $proxy_pid ]] || stop "$proxy_pid"
  # Fleets whose lease store is gone hold their finalizer (issue: namespace
  # deletion); without the controller nobody removes it, so drop it here.
  for f in $(kubectl get pricingagentfleets -n "$ns" -o name 2>/dev/null); do
    kubectl patch -n "$ns" "$f" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  done
  kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
  fixture_servers_down
  if ((rc == 0)); then rm -rf "$work"; else echo "(files kept in $work)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kubectl apply --server-side --force-conflicts --field-manager=agentfleet-e2e-mutation \
  -f "$src/crds/agentfleet.io_pricingagentfleets.yaml" >/dev/null
"$src/scripts/wait-crd.sh" pricingagentfleets.agentfleet.io
kubectl create namespace "$ns" >/dev/null
# A mutant may ask for 65536 agents: the namespace's quota says no, and the
# fleet must say so (FailedCreate), not the cluster fill up.
kubectl create quota pods --hard=pods=120 -n "$ns" >/dev/null

fixture_servers_up "$id" "$work/endpoints.json"
cd "$src/examples"
python3 "$src/tests/e2e/examples/rewrite_examples.py" "$work/endpoints.json" "$work/rewritten" *.yaml \
  >"$work/plan.json" || fail "cannot point the examples at the fixture servers (see above)"
fixture_seed_queues "$work/plan.json" 3
printf '%s\n' "${fixture_secrets[@]}" >"$work/secrets"

timeout --kill-after=10 400 "$controller" --kubeconfig "$KUBECONFIG" --namespace "$ns" \
  --leader-elect=false --metrics-bind-address 0 --health-probe-bind-address 0 \
  --kube-api-qps 100 --kube-api-burst 200 >"$work/controller.log" 2>&1 &
ctl_pid=$!
kubectl proxy --port=0 >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do grep -q 'Starting to serve' "$work/proxy.log" && break; sleep 0.1; done
api=http://$(sed -n 's/^Starting to serve on //p' "$work/proxy.log")
[[ $api != http:// ]] || fail "kubectl proxy did not start: $(cat "$work/proxy.log")"
log "controller (pid $ctl_pid) reconciles namespace $ns; API through $api"

python3 "$here/mutate.py" "$api" "$ns" "$work/rewritten" "$work/secrets" "$work/report.json" ||
  fail "the mutation run found violations (above; report in $work/report.json)"

kill -0 "$ctl_pid" 2>/dev/null || fail "agentfleet-controller exited during the run"
for s in "${fixture_secrets[@]}" planted-s3cret; do
  if grep -qF -- "$s" "$work/controller.log"; then fail "a credential leaked into the controller's log"; fi
done
kill -TERM "$ctl_pid"
code=0
for _ in $(seq 150); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$ctl_pid" 2>/dev/null && fail "agentfleet-controller did not stop within 15 s of SIGTERM"
wait "$ctl_pid" || code=$?
ctl_pid=
((code == 0)) || fail "agentfleet-controller exited with $code after SIGTERM"
log "PASS: the controller stayed up through every mutant and stopped cleanly"
