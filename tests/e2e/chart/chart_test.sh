#!/usr/bin/env bash
# e2e: the Helm chart (charts/agentfleet).
#  1. Static: `helm lint` passes (default, scoped, ServiceMonitor on); a
#     mistyped key and a value of the wrong type fail lint and template with
#     the schema's message; every object of the schema with named keys is
#     closed; every value is commented in values.yaml and has a row in
#     docs/helm.md; the rendered CRD equals crds/ but for the keep annotation;
#     crds.enabled=false renders no CRD; the PDB only with replicas > 1;
#     Kubernetes 1.27 is refused (kubeVersion), the fixture cluster's accepted.
#  2. `helm template | kubectl apply --dry-run=server` passes for the
#     cluster-wide and the scoped variant, in namespaces that enforce the
#     restricted Pod Security Standard, without a PodSecurity warning.
#  3. `helm install` (cluster-wide) into a namespace of its own; the installed
#     Deployment, its pods and the RBAC are as promised; `kubectl auth can-i`
#     as the chart's ServiceAccount allows what the operator calls and denies
#     the rest (deleting or listing Secrets, other Leases, other kinds).
#  4. agentfleet-controller runs locally with the args of the installed
#     Deployment and a kubeconfig holding a token of the chart's
#     ServiceAccount: it wins the leader Lease in the release namespace,
#     reconciles examples/fleet-redis.yaml (pointed at the fixture Redis,
#     2 replicas, 12 shards) to 2 pods of 6 shards, writes the fleet's status
#     with its sources reached, records Events, and runs the finalizer on
#     deletion. No request of it is refused (rest_client_requests_total has
#     no 401/403) and its log holds no "forbidden" and no credential.
#  5. A second release with watchNamespace: RBAC is a Role in that namespace
#     only (no ClusterRole), can-i denies the same verbs in any other
#     namespace, and the operator reconciles a fleet there under that RBAC.
#  6. `helm uninstall` removes the release's objects (cluster-scoped ones too)
#     and keeps the CRD (helm.sh/resource-policy: keep).
# The suggested alerts of docs/operations.md (alert_checks.py): `promtool
# check rules` accepts them (1.); in 4. and 5., every metric selector of every
# alert expression matches a series the running operator exposes (or one that
# appears only with a fault or a first sample: checked against the label
# values such a series can have), and `promtool test rules` on the scraped
# series shows that the leading operator fires none of the operator's alerts
# (AgentfleetNoLeader among them) while a leader gauge at 0, or none at all,
# fires AgentfleetNoLeader.
# Everything it creates (releases, namespaces, the Redis ACL user and keys, the
# operator processes) is removed on exit, also on failure.
# Run through ctest (ctest -R e2e_chart), which starts the cluster and redis
# fixtures and sets KUBECONFIG, AGENTFLEET_TOOLS, AGENTFLEET_BIN_DIR,
# AGENTFLEET_SOURCE_DIR, AGENTFLEET_CLUSTER_DIR and AGENTFLEET_REDIS_DIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=${AGENTFLEET_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
log() { echo "[chart $(date +%H:%M:%S)] $*" >&2; }
pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for v in KUBECONFIG AGENTFLEET_TOOLS AGENTFLEET_BIN_DIR AGENTFLEET_REDIS_DIR; do
  [[ -n ${!v:-} ]] || fail "\$$v is not set (run through ctest: ctest -R e2e_chart)"
done
controller=$AGENTFLEET_BIN_DIR/agentfleet-controller
[[ -x $controller ]] || fail "$controller is not built"
PATH=$("$AGENTFLEET_TOOLS" --path):$PATH
for tool in kubectl helm redis-cli curl python3 openssl promtool; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH"
done
python3 -c 'import yaml' 2>/dev/null || fail "python3 has no yaml module (python3-yaml)"

chart=$src/charts/agentfleet
crd_source=$src/crds/agentfleet.io_pricingagentfleets.yaml
crd_name=pricingagentfleets.agentfleet.io
checks() { python3 "$here/chart_checks.py" "$@"; }
# `helm template` checks the chart's kubeVersion against --kube-version, whose
# default is the Kubernetes version helm was built against (v1.20.0 for a helm
# built without the release's ldflags, as tests/cluster builds it): render for
# the fixture cluster's version, as `helm install` does.
kube_version=$(kubectl get --raw /version | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])') ||
  fail "cannot read the API server's version"
helm_template() { helm template "$@" --kube-version "$kube_version"; }
alerts() { python3 "$here/alert_checks.py" "$@"; }

id=ch$$$RANDOM
release=$id            # cluster-wide release, in namespace $ns
ns=$id-system
fleet_ns=$id-fleets    # where its fleet lives
other_ns=$id-other     # a namespace the scoped release must not reach
s_release=$id-scoped   # scoped release, in namespace $s_ns, watching $watch_ns
s_ns=$id-scoped-system
watch_ns=$id-watched
namespaces=("$ns" "$fleet_ns" "$other_ns" "$s_ns" "$watch_ns")
work=$(mktemp -d "${TMPDIR:-/tmp}/agentfleet-e2e-chart.XXXXXX")
redis_port=$(cat "$AGENTFLEET_REDIS_DIR/port")
redis_user=$id
ctl_pid=
installed=()

rcli() { redis-cli -p "$redis_port" "$@"; }

stop_controller() {
  [[ -n $ctl_pid ]] || return 0
  kill -TERM "$ctl_pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
  local code=0
  if kill -0 "$ctl_pid" 2>/dev/null; then
    kill -KILL "$ctl_pid" 2>/dev/null || true
    code=137
  fi
  wait "$ctl_pid" 2>/dev/null || code=$?
  ctl_pid=
  return "$code"
}

cleanup() {
  local rc=$?
  set +e
  stop_controller
  [[ -z ${agent_pid:-} ]] || kill -KILL "$agent_pid" 2>/dev/null
  if ((rc != 0)); then
    for f in "$work"/*.log; do
      [[ -f $f ]] || continue
      echo "--- last lines of $(basename "$f")" >&2
      tail -n 30 "$f" >&2
    done
  fi
  for r in "${installed[@]}"; do
    helm uninstall "${r%%/*}" -n "${r#*/}" --wait=false >/dev/null 2>&1
  done
  kubectl delete namespace "${namespaces[@]}" --wait=false --ignore-not-found >/dev/null 2>&1
  rcli ACL DELUSER "$redis_user" >/dev/null 2>&1
  rcli --scan --pattern "$id:*" 2>/dev/null | xargs -r redis-cli -p "$redis_port" DEL >/dev/null 2>&1
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# until_ok TIMEOUT WHAT COMMAND...: retries COMMAND every half second; on
# timeout fails with WHAT and COMMAND's last output.
until_ok() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout)) out
  until out=$("$@" 2>&1); do
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s: $what${out:+: $out}"
    [[ -z $ctl_pid ]] || kill -0 "$ctl_pid" 2>/dev/null || fail "agentfleet-controller exited early ($what)"
    sleep 0.5
  done
}

# expect_fail WHAT PATTERN COMMAND...: COMMAND must fail with PATTERN in its output.
expect_fail() {
  local what=$1 pattern=$2
  shift 2
  local out
  if out=$("$@" 2>&1); then fail "$what: succeeded, but must fail"; fi
  grep -q -- "$pattern" <<<"$out" || fail "$what: failed without the message '$pattern':"$'\n'"$out"
}

# can SA VERB RESOURCE [ARGS...]: can-i must say yes; cannot ...: must say no.
can() {
  local sa=$1
  shift
  [[ $(kubectl auth can-i "$@" --as="$sa" 2>/dev/null || true) == yes ]] ||
    fail "$sa must be allowed: can-i $*"
}
cannot() {
  local sa=$1
  shift
  [[ $(kubectl auth can-i "$@" --as="$sa" 2>/dev/null || true) == no ]] ||
    fail "$sa must be denied: can-i $*"
}

# can_i_table MODE SA NAME=VALUE...: each row of the can-i table for MODE in
# docs/security.md, its <name> placeholders filled in, must get its answer
# (yes/no) from kubectl auth can-i. A placeholder's value may be several
# namespaces, space-separated: the row is checked for each.
can_i_table() {
  local mode=$1 who=$2 rows row args want n=0 pair name value v
  shift 2
  rows=$(awk -v m="<!-- can-i: $mode -->" '$0 == m {on = 1; next} /<!-- end can-i -->/ {on = 0} on && /^[|] `/ && !/kubectl auth can-i/' \
    "$src/docs/security.md")
  [[ -n $rows ]] || fail "docs/security.md has no can-i table for $mode"
  while IFS= read -r row; do
    args=$(sed -E 's/^[|] `([^`]*)` [|] (yes|no) [|].*/\1/' <<<"$row")
    want=$(sed -E 's/^[|] `[^`]*` [|] (yes|no) [|].*/\1/' <<<"$row")
    [[ $want == yes || $want == no ]] || fail "docs/security.md: a can-i row without yes/no: $row"
    local expanded=("$args")
    for pair in "$@"; do
      name=${pair%%=*} value=${pair#*=}
      local next=()
      for row in "${expanded[@]}"; do
        if [[ $row == *"<$name>"* ]]; then
          for v in $value; do next+=("${row//<$name>/$v}"); done
        else
          next+=("$row")
        fi
      done
      expanded=("${next[@]}")
    done
    for row in "${expanded[@]}"; do
      [[ $row != *"<"* ]] || fail "docs/security.md: a placeholder left in can-i $row"
      # shellcheck disable=SC2086 # the row is kubectl's arguments, split on spaces
      if [[ $want == yes ]]; then can "$who" $row; else cannot "$who" $row; fi
      n=$((n + 1))
    done
  done <<<"$rows"
  echo "$n"
}

# ---------------------------------------------------------------- 1. static
log "static checks of $chart"
helm lint "$chart" >"$work/lint.out" 2>&1 || fail "helm lint: $(cat "$work/lint.out")"
helm lint "$chart" --set watchNamespace=team-a --set metrics.serviceMonitor.enabled=true \
  >"$work/lint.out" 2>&1 || fail "helm lint (scoped, ServiceMonitor): $(cat "$work/lint.out")"
pass "helm lint"

expect_fail "helm lint --set replicaCountt=2" "additional properties 'replicaCountt' not allowed" \
  helm lint "$chart" --set replicaCountt=2
expect_fail "helm template --set replicaCountt=2" "additional properties 'replicaCountt' not allowed" \
  helm_template x "$chart" --set replicaCountt=2
expect_fail "helm template --set replicaCount=x" "at '/replicaCount': got string, want integer" \
  helm_template x "$chart" --set replicaCount=x
expect_fail "helm lint --set image.pullPolicy=Sometimes" "/image/pullPolicy" \
  helm lint "$chart" --set image.pullPolicy=Sometimes
expect_fail "helm template --set metrics.servicemonitor.enabled=true" \
  "additional properties 'servicemonitor' not allowed" \
  helm_template x "$chart" --set metrics.servicemonitor.enabled=true
expect_fail "helm template replicaCount=2 without leader election" "needs leaderElection.enabled=true" \
  helm_template x "$chart" --set leaderElection.enabled=false
# Chart.yaml's kubeVersion (the CRD's CEL rules need 1.28): an older cluster is refused.
expect_fail "helm template for Kubernetes v1.27.16" "requires kubeVersion" \
  helm template x "$chart" --kube-version v1.27.16
checks schema-closed "$chart/values.schema.json" || fail "values.schema.json is not closed"
checks values-documented "$chart/values.yaml" "$src/docs/helm.md" || fail "values are not all documented"
pass "values.schema.json rejects a mistyped key and a wrong type; every value documented"

helm_template "$release" "$chart" -n "$ns" --show-only templates/crd.yaml >"$work/crd.yaml" ||
  fail "helm template --show-only templates/crd.yaml"
checks crd-equal "$work/crd.yaml" "$crd_source" || fail "the chart's CRD is not the one in crds/"
helm_template x "$chart" --set crds.enabled=false >"$work/no-crd.yaml" || fail "helm template crds.enabled=false"
! grep -q '^kind: CustomResourceDefinition' "$work/no-crd.yaml" || fail "crds.enabled=false still renders the CRD"
pass "the rendered CRD equals crds/ (plus helm.sh/resource-policy: keep); crds.enabled=false drops it"

has_kind() { # has_kind KIND HELM_ARGS...: the chart renders an object of KIND
  local kind=$1
  shift
  helm_template x "$chart" "$@" | sed -n 's/^kind: //p' | grep -x "$kind" >/dev/null
}
has_kind PodDisruptionBudget || fail "no PodDisruptionBudget with 2 replicas"
! has_kind PodDisruptionBudget --set replicaCount=1 || fail "a PodDisruptionBudget with 1 replica"
! has_kind ServiceMonitor || fail "a ServiceMonitor although it is off by default"
has_kind ServiceMonitor --set metrics.serviceMonitor.enabled=true || fail "no ServiceMonitor when enabled"
! has_kind ClusterRole --set watchNamespace=team-a || fail "a ClusterRole in the scoped variant"
! has_kind ClusterRoleBinding --set watchNamespace=team-a || fail "a ClusterRoleBinding in the scoped variant"
# Cluster-wide without leader election: the leader Role is the only Role there could be.
! has_kind Role --set leaderElection.enabled=false --set replicaCount=1 ||
  fail "a leader-election Role without leader election"
pass "PodDisruptionBudget only with replicas > 1, ServiceMonitor off by default, scoped RBAC has no Cluster* object"

alerts rules "$src/docs/operations.md" "$work/alerts.yaml" || fail "no alert rules in docs/operations.md"
promtool check rules "$work/alerts.yaml" >"$work/promtool.out" 2>&1 ||
  fail "promtool check rules (the alerts of docs/operations.md): $(cat "$work/promtool.out")"
grep -v '^#' "$chart/files/alerts.yaml" | cmp -s - "$work/alerts.yaml" ||
  fail "charts/agentfleet/files/alerts.yaml differs from the alerts of docs/operations.md"
pass "the suggested alerts of docs/operations.md pass promtool check rules; the chart ships the same"

! has_kind PrometheusRule || fail "a PrometheusRule although it is off by default"
helm_template rel "$chart" --set metrics.prometheusRule.enabled=true \
  --show-only templates/prometheusrule.yaml >"$work/prometheusrule.yaml" ||
  fail "helm template with metrics.prometheusRule.enabled"
alerts rule-spec "$work/prometheusrule.yaml" "$work/chart-alerts.yaml" rel-agentfleet ||
  fail "the chart's PrometheusRule"
promtool check rules "$work/chart-alerts.yaml" >"$work/promtool-chart.out" 2>&1 ||
  fail "promtool check rules (the chart's PrometheusRule): $(cat "$work/promtool-chart.out")"
pass "the chart's PrometheusRule passes promtool check rules, its leader alert on the release's Lease"

# ---------------------------------------------------------- 2. server dry run
for n in "${namespaces[@]}"; do
  kubectl create namespace "$n" >/dev/null
done
# The API server then rejects an operator pod that breaks the restricted profile.
for n in "$ns" "$s_ns"; do
  kubectl label namespace "$n" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted >/dev/null
done

dry_run() { # dry_run NAME RELEASE NAMESPACE HELM_ARGS...
  local name=$1 rel=$2 n=$3
  shift 3
  helm_template "$rel" "$chart" -n "$n" "$@" >"$work/$name.yaml" || fail "helm template ($name)"
  kubectl apply --dry-run=server -f "$work/$name.yaml" >"$work/$name.out" 2>&1 ||
    fail "kubectl apply --dry-run=server ($name): $(cat "$work/$name.out")"
  ! grep -qi "podsecurity\|would violate" "$work/$name.out" ||
    fail "the restricted Pod Security Standard warns ($name): $(cat "$work/$name.out")"
}
dry_run cluster-wide "$release" "$ns"
dry_run scoped "$s_release" "$s_ns" --set watchNamespace="$watch_ns" --set crds.enabled=false
pass "helm template | kubectl apply --dry-run=server (cluster-wide and scoped; restricted PSS)"

# ------------------------------------------------------ 3. cluster-wide install
# Other tests install the CRD without Helm; the release takes it over (and,
# after uninstall, keeps it).
own=()
kubectl get crd "$crd_name" >/dev/null 2>&1 && own=(--take-ownership)
log "helm install $release -n $ns ${own[*]}"
helm install "$release" "$chart" -n "$ns" "${own[@]}" --wait --timeout 120s >"$work/install.out" 2>&1 ||
  fail "helm install: $(cat "$work/install.out")"
installed+=("$release/$ns")
grep -q "every namespace" "$work/install.out" || fail "NOTES.txt was not shown: $(cat "$work/install.out")"
[[ $(kubectl get crd "$crd_name" -o jsonpath='{.metadata.annotations.meta\.helm\.sh/release-name}') == "$release" ]] ||
  fail "the CRD is not part of release $release"
"$src/scripts/wait-crd.sh" "$crd_name" || fail "the CRD is not Established"

sa_name=$release-agentfleet
sa=system:serviceaccount:$ns:$sa_name
kubectl get deployment "$sa_name" -n "$ns" -o json >"$work/deployment.json" || fail "no Deployment $sa_name"
grep -q "one leader (Lease $sa_name in $ns)" "$work/install.out" ||
  fail "NOTES.txt does not name the leader Lease $sa_name: $(cat "$work/install.out")"
checks deployment "$work/deployment.json" "$ns" "$sa_name" 2 || fail "the Deployment"
[[ $(kubectl get deployment "$sa_name" -n "$ns" -o jsonpath='{.status.readyReplicas}') == 2 ]] ||
  fail "the Deployment's 2 pods are not Ready (the restricted profile admitted them? see kubectl -n $ns get events)"
for obj in serviceaccount/"$sa_name" service/"$sa_name"-metrics poddisruptionbudget/"$sa_name" \
  role/"$sa_name"-leader-election rolebinding/"$sa_name"-leader-election; do
  kubectl get -n "$ns" "$obj" >/dev/null 2>&1 || fail "helm install made no $obj"
done
for obj in clusterrole/"$sa_name" clusterrolebinding/"$sa_name"; do
  kubectl get "$obj" >/dev/null 2>&1 || fail "helm install made no $obj"
done
endpoints=$(kubectl get endpointslices -n "$ns" -l kubernetes.io/service-name="$sa_name"-metrics \
  -o jsonpath='{range .items[*].endpoints[*]}x{end}' 2>/dev/null || true)
[[ $endpoints == xx ]] || fail "the metrics Service does not select the 2 operator pods (endpoints: '$endpoints')"
pass "helm install: CRD, ServiceAccount, ClusterRole(Binding), leader Role, Deployment (2 Ready, restricted), Service, PDB"

# What the operator calls, and nothing more: the table in docs/security.md.
checked=$(can_i_table cluster-wide "$sa" fleet-ns="$fleet_ns" release-ns="$ns" lease="$sa_name")
# sar USER NS GROUP RESOURCE VERB: the API server's answer (true/false), for an
# API group the cluster may not serve (kubectl auth can-i needs discovery).
sar() {
  kubectl create -o jsonpath='{.status.allowed}' -f - <<SAR
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: $1
  resourceAttributes: {namespace: "$2", group: $3, resource: $4, verb: $5}
SAR
}
[[ $(sar "$sa" "$fleet_ns" metrics.k8s.io pods list) == true ]] ||
  fail "$sa must be allowed to list pods.metrics.k8s.io in $fleet_ns"
[[ $(sar "$sa" "" metrics.k8s.io nodes list) != true ]] ||
  fail "$sa must not list nodes.metrics.k8s.io"
pass "can-i: docs/security.md's cluster-wide table holds ($checked checks): the operator's calls allowed; Secrets get only (no delete/list/watch), leases only its own"

# --------------------------------------- 4. the operator under the chart's RBAC
# kubeconfig NAME SA NAMESPACE: $work/NAME.kubeconfig, holding a token of the
# ServiceAccount (in a tokenFile), for the cluster of $KUBECONFIG.
kubeconfig() {
  "$src/tests/cluster/sa-kubeconfig.sh" "$2" "$3" "$work" "$1" >/dev/null ||
    fail "no kubeconfig for the ServiceAccount $3/$2"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A Redis ACL user whose password only the fleet's Secret holds: the operator
# reaches Redis only if it could read the Secret.
(umask 077 && openssl rand -hex 16 >"$work/redis-password")
rcli ACL SETUSER "$redis_user" on ">$(cat "$work/redis-password")" '~*' '&*' +@all >/dev/null ||
  fail "redis ACL SETUSER"
redis_url=redis://$redis_user@127.0.0.1:$redis_port/0

# run_fleet NAME SA_NAME SA_NS FLEET_NS DEPLOYMENT_JSON [EXTRA_ARGS...]: runs the
# operator with the Deployment's args as that ServiceAccount, applies a fleet
# in FLEET_NS and checks it reconciled, then deletes it (the finalizer).
run_fleet() {
  local name=$1 sa_name=$2 sa_ns=$3 fns=$4 deploy=$5
  shift 5
  kubeconfig "$name" "$sa_name" "$sa_ns"
  local mport hport args
  mport=$(free_port)
  hport=$(free_port)
  mapfile -t args < <(checks local-args "$deploy" "127.0.0.1:$mport" "127.0.0.1:$hport")
  ((${#args[@]} > 0)) || fail "no args in the Deployment"
  checks secret-manifest "$src/examples/fleet-redis-secret.yaml" "$fns" "$work/redis-password" |
    kubectl apply -f - >/dev/null || fail "applying the fleet's Secret"
  checks fleet-manifest "$src/examples/fleet-redis.yaml" "$fns" "$redis_url" "$id:$name" >"$work/$name-fleet.yaml"
  kubectl apply -f "$work/$name-fleet.yaml" >/dev/null || fail "applying the fleet"

  log "agentfleet-controller ${args[*]} $* (as $sa_ns/$sa_name)"
  # POD_NAME as the downward API sets it: the leader identity starts with it.
  POD_NAME=$name-local timeout --kill-after=10 200 "$controller" --kubeconfig "$work/$name.kubeconfig" \
    "${args[@]}" "$@" --log-level=debug >"$work/$name-controller.log" 2>&1 &
  ctl_pid=$!
  probes() { curl -sf "http://127.0.0.1:$hport/healthz" && curl -sf "http://127.0.0.1:$hport/readyz"; }
  until_ok 30 "/healthz and /readyz of the operator ($name)" probes
  leader() {
    local holder
    holder=$(kubectl get lease "$sa_name" -n "$sa_ns" -o jsonpath='{.spec.holderIdentity}') &&
      [[ $holder == "$name-local_"* ]] || { echo "holder: ${holder:-none}"; return 1; }
    curl -sf "http://127.0.0.1:$mport/metrics" | grep "^leader_election_master_status{name=\"$sa_name\"} 1" >/dev/null
  }
  # The Lease is named after the release, as the ServiceAccount is (the chart's full name).
  until_ok 30 "the leader Lease $sa_name in $sa_ns held by $name-local" leader
  local acquired
  acquired=$(kubectl get lease "$sa_name" -n "$sa_ns" -o jsonpath='{.spec.renewTime}')
  balanced() {
    kubectl get pods -n "$fns" -l agentfleet.io/fleet=pricing -o json >"$work/$name-pods.json" &&
      checks balanced "$work/$name-pods.json" 2 12
  }
  until_ok 60 "2 agent pods of 6 shards each in $fns" balanced
  status() {
    kubectl get pricingagentfleet pricing -n "$fns" -o json >"$work/$name-fleet.json" &&
      checks fleet-status "$work/$name-fleet.json" 2
  }
  until_ok 30 "the fleet's status" status
  check_alerts "$name" "$sa_name" "$mport"
  fleet_event() {
    kubectl get events.events.k8s.io -n "$fns" -o jsonpath='{range .items[*]}{.regarding.kind}{"\n"}{end}' |
      grep -x PricingAgentFleet >/dev/null
  }
  until_ok 30 "an Event about the fleet in $fns" fleet_event

  kubectl delete pricingagentfleet pricing -n "$fns" --wait=false >/dev/null
  gone() { [[ -z $(kubectl get pricingagentfleet -n "$fns" --ignore-not-found -o name) ]]; }
  until_ok 60 "the fleet deleted (its finalizer removed by the operator)" gone

  # Renewing (and releasing, below) the Lease is an update: a Lease that was
  # only ever created proves half of the leader-election Role.
  renewed() { [[ $(kubectl get lease "$sa_name" -n "$sa_ns" -o jsonpath='{.spec.renewTime}') != "$acquired" ]]; }
  until_ok 30 "the leader renewed its Lease" renewed

  # A refused request is logged once per distinct error and counted by status
  # code: the count catches one the log would show only once.
  curl -sf "http://127.0.0.1:$mport/metrics" >"$work/$name-metrics.txt" || fail "no /metrics ($name)"
  ! grep -E '^rest_client_requests_total\{code="40[13]"' "$work/$name-metrics.txt" >"$work/$name-denied.txt" ||
    fail "the API server refused requests of the operator ($name): $(tr '\n' ' ' <"$work/$name-denied.txt")"
  stop_controller || fail "agentfleet-controller ($name) did not stop cleanly on SIGTERM"
  [[ -z $(kubectl get lease "$sa_name" -n "$sa_ns" -o jsonpath='{.spec.holderIdentity}') ]] ||
    fail "the operator did not release its Lease on SIGTERM ($name)"
  local logf=$work/$name-controller.log
  ! grep -qi "forbidden" "$logf" || fail "the operator was forbidden something ($name): $(grep -i forbidden "$logf" | head -5)"
  ! grep -q -- "$(cat "$work/redis-password")" "$logf" || fail "the Redis password leaked into the log ($name)"
  ! grep -q -- "$(cat "$work/$name.token")" "$logf" || fail "the ServiceAccount token leaked into the log ($name)"
  grep -q "fleet controller started" "$logf" || fail "the fleet controller never started ($name)"
}

# check_alerts NAME LEASE METRICS_PORT: the alerts of docs/operations.md against
# the leading operator's /metrics. No agent runs in this test (kwok's pods run
# no container), so the fleet's shards are assigned but held by no one: the
# two shard alerts must fire, and every other alert must not.
check_alerts() {
  local name=$1 lease=$2 mport=$3
  curl -sf "http://127.0.0.1:$mport/metrics" >"$work/$name-alert-metrics.txt" || fail "no /metrics ($name)"
  alerts selectors "$work/alerts.yaml" "$work/$name-alert-metrics.txt" "$src" >"$work/$name-selectors.out" ||
    fail "the alerts of docs/operations.md do not fit the operator's metrics ($name)"
  alerts unit-tests "$work/alerts.yaml" "$work/$name-alert-metrics.txt" "$lease" "$work/$name-alert-tests.yaml" \
    AgentfleetShardsNotHeld AgentfleetNoShardHeld || fail "cannot build the alert unit tests ($name)"
  promtool test rules "$work/$name-alert-tests.yaml" >"$work/$name-alert-tests.out" 2>&1 ||
    fail "promtool test rules: the alerts of docs/operations.md on the operator's series ($name): $(cat "$work/$name-alert-tests.out")"
}

# The Deployment's args manage every namespace; --namespace keeps this run off
# the fleets of other tests that share the cluster. The ClusterRole grants the
# same verbs everywhere (can-i above checked --all-namespaces).
run_fleet cluster "$sa_name" "$ns" "$fleet_ns" "$work/deployment.json" --namespace="$fleet_ns"
pass "the operator as $sa: leader Lease (won, renewed, released), 2 pods x 6 shards, status written (Degraded=False), Events, finalizer; no request refused (403), no 'forbidden' in its log; the documented alerts select its series, none of its own fires, AgentfleetNoLeader fires without a leader"

# check_dashboard OPERATOR_METRICS: the chart's Grafana dashboard against the
# operator's series and those of a real pricing-agent that priced a task (the
# agent panels' metrics exist only in the agent).
check_dashboard() {
  local op=$1 aport afile=$work/dash-annotations prefix=$id:dash pw
  pw=$(cat "$work/redis-password")
  aport=$(free_port)
  printf 'agentfleet.io/assignment-generation="1"\nagentfleet.io/shards="0"\n' >"$afile"
  AGENTFLEET_LEASE_STORE_PASSWORD=$pw AGENTFLEET_QUEUE_PASSWORD=$pw \
    "$AGENTFLEET_BIN_DIR/pricing-agent" --pod-name=dash-0 --fleet="$id/dash" --shards=1 \
    --lease-store="$redis_url" --lease-key-prefix="$prefix:" --queue-url="$redis_url" \
    --queue-prefix="$prefix:tasks" --assignment-file="$afile" --lease-duration=3s --tick=200ms \
    --block=100ms --metrics-bind-address="127.0.0.1:$aport" >"$work/dash-agent.log" 2>&1 &
  agent_pid=$!
  rcli XGROUP CREATE "$prefix:tasks:0" pricing-agents 0 MKSTREAM >/dev/null 2>&1 || true
  rcli XADD "$prefix:tasks:0" '*' task dash-1 product dash-1 price 100 >/dev/null || fail "XADD"
  priced() { curl -sf "http://127.0.0.1:$aport/metrics" | grep -q '^pricing_agent_task_latency_seconds_count [1-9]'; }
  until_ok 30 "the dashboard's pricing-agent priced its task" priced
  curl -sf "http://127.0.0.1:$aport/metrics" >"$work/dash-agent-metrics.txt" || fail "no agent /metrics"
  kill -TERM "$agent_pid" 2>/dev/null
  wait "$agent_pid" 2>/dev/null || true
  agent_pid=
  python3 "$here/dashboard_checks.py" "$chart/files/dashboard.json" "$work/dashboard-rules.yaml" \
    "$op" "$work/dash-agent-metrics.txt" "$src" || fail "the dashboard's queries"
  promtool check rules "$work/dashboard-rules.yaml" >"$work/dashboard-promtool.out" 2>&1 ||
    fail "promtool cannot parse the dashboard's queries: $(cat "$work/dashboard-promtool.out")"
  helm_template rel "$chart" --set grafana.dashboard.enabled=true \
    --show-only templates/dashboard-configmap.yaml >"$work/dashboard-cm.yaml" ||
    fail "helm template with grafana.dashboard.enabled"
  python3 - "$work/dashboard-cm.yaml" "$chart/files/dashboard.json" <<'PY' || fail "the dashboard ConfigMap"
import json, sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
assert cm["kind"] == "ConfigMap" and cm["metadata"]["labels"].get("grafana_dashboard") == "1", cm["metadata"]
assert json.loads(cm["data"]["agentfleet-fleets.json"]) == json.load(open(sys.argv[2])), "not the file"
PY
}
check_dashboard "$work/cluster-alert-metrics.txt"
! has_kind ConfigMap || fail "a dashboard ConfigMap although it is off by default"
pass "the Grafana dashboard: every query parses (promtool) and selects metrics a running operator and pricing-agent expose; shipped as a ConfigMap with the sidecar's label when enabled"

# -------------------------------------------------------------- 5. scoped
log "helm install $s_release -n $s_ns --set watchNamespace=$watch_ns"
helm install "$s_release" "$chart" -n "$s_ns" --set watchNamespace="$watch_ns" --set crds.enabled=false \
  --wait --timeout 120s >"$work/install-scoped.out" 2>&1 || fail "helm install (scoped): $(cat "$work/install-scoped.out")"
installed+=("$s_release/$s_ns")
s_sa_name=$s_release-agentfleet
s_sa=system:serviceaccount:$s_ns:$s_sa_name
! helm get manifest "$s_release" -n "$s_ns" | grep '^kind: Cluster' >/dev/null || fail "the scoped release has cluster-scoped RBAC"
! helm get manifest "$s_release" -n "$s_ns" | grep '^kind: CustomResourceDefinition' >/dev/null || fail "crds.enabled=false installed a CRD"
kubectl get deployment "$s_sa_name" -n "$s_ns" -o json >"$work/deployment-scoped.json" || fail "no Deployment $s_sa_name"
grep -q -- "\"--namespace=$watch_ns\"" "$work/deployment-scoped.json" || fail "the scoped Deployment has no --namespace=$watch_ns"

checked=$(can_i_table one-namespace "$s_sa" watch-ns="$watch_ns" release-ns="$s_ns" \
  other-ns="$other_ns $fleet_ns default")
pass "can-i (watchNamespace=$watch_ns): docs/security.md's one-namespace table holds ($checked checks): allowed there, denied in any other namespace and cluster-wide"

run_fleet scoped "$s_sa_name" "$s_ns" "$watch_ns" "$work/deployment-scoped.json"
pass "the operator as $s_sa, args from the scoped Deployment: reconciles a fleet in $watch_ns; no request refused"

# -------------------------------------------------------------- 6. uninstall
for r in "$release/$ns" "$s_release/$s_ns"; do
  helm uninstall "${r%%/*}" -n "${r#*/}" --wait --timeout 60s >"$work/uninstall.out" 2>&1 ||
    fail "helm uninstall ${r%%/*}: $(cat "$work/uninstall.out")"
done
installed=()
for obj in clusterrole/"$sa_name" clusterrolebinding/"$sa_name"; do
  ! kubectl get "$obj" >/dev/null 2>&1 || fail "helm uninstall left $obj"
done
for obj in deployment/"$sa_name" serviceaccount/"$sa_name" role/"$sa_name"-leader-election; do
  ! kubectl get -n "$ns" "$obj" >/dev/null 2>&1 || fail "helm uninstall left $obj in $ns"
done
! kubectl get -n "$watch_ns" role/"$s_sa_name" >/dev/null 2>&1 || fail "helm uninstall left the scoped Role"
kubectl get crd "$crd_name" >/dev/null 2>&1 || fail "helm uninstall deleted the CRD despite helm.sh/resource-policy: keep"
pass "helm uninstall: the release's objects gone, the CRD kept"
echo "chart e2e test passed"
