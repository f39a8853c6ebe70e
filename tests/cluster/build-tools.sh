#!/usr/bin/env bash
# Builds the pinned control-plane binaries from the Go module proxy into a cache
# outside the repository, keyed by every pinned version and the Go version, so a
# second run (or CI on the same machine) reuses them. Prints the bin directory.
#   build-tools.sh          build what is missing, print the bin directory
#   build-tools.sh --path   print the bin directory only (no build)
#   build-tools.sh metrics-server [--path]
#                           the same for metrics-server, which only some tests
#                           start: its own cache key, so that pinning another
#                           version does not rebuild the control plane
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

command -v go >/dev/null || { echo "build-tools: go is not installed" >&2; exit 1; }
gover=$(go env GOVERSION)
cache_root=${AGENTFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentfleet}
key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_helm-${HELM_VERSION}_${gover}"
tool=control-plane
if [[ "${1:-}" == metrics-server ]]; then
  tool=metrics-server
  key="metrics-server-${METRICS_SERVER_VERSION}_${gover}"
  shift
fi
bin="$cache_root/tools/$key/bin"

if [[ "${1:-}" == "--path" ]]; then echo "$bin"; exit 0; fi

mkdir -p "$bin"
exec 9>"$cache_root/tools/$key/.lock"
flock 9  # two builds of the same key wait for each other instead of racing

log() { echo "[build-tools $(date +%H:%M:%S)] $*" >&2; }
export GOFLAGS="-mod=mod -trimpath -buildvcs=false"
export CGO_ENABLED=0

kube_ver=${KUBERNETES_VERSION#v}
kube_minor=$(cut -d. -f2 <<<"$kube_ver")
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

# build NAME DIR PACKAGE LDFLAGS: go build PACKAGE inside the wrapper module DIR.
build() {
  local name=$1 dir=$2 pkg=$3 ldflags=$4
  if [[ -x "$bin/$name" ]]; then return; fi
  log "building $name ($pkg) — a cold build takes minutes"
  local start=$SECONDS
  (cd "$dir" && go build -ldflags "-s -w $ldflags" -o "$bin/.$name.tmp" "$pkg")
  mv "$bin/.$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - start))s"
}

# go install of a module without replace directives: MODULE/PATH@VERSION.
install() {
  local name=$1 pkg=$2 ldflags=$3
  if [[ -x "$bin/$name" ]]; then return; fi
  log "building $name ($pkg)"
  local start=$SECONDS tmp
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS="-trimpath -buildvcs=false" go install -ldflags "-s -w $ldflags" "$pkg"
  mv "$tmp/$name" "$bin/$name"
  rm -rf "$tmp"
  log "built $name in $((SECONDS - start))s"
}

if [[ $tool == metrics-server ]]; then
  install metrics-server "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" \
    "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION -X k8s.io/component-base/version.gitVersion=$METRICS_SERVER_VERSION"
  echo "$bin"
  exit 0
fi

build etcd "$here/go/etcd" go.etcd.io/etcd/server/v3 ""
build etcdctl "$here/go/etcd" go.etcd.io/etcd/etcdctl/v3 ""
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  build "$c" "$here/go/kubernetes" "k8s.io/kubernetes/cmd/$c" "$stamp"
done
install kwok "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
echo "$bin"
