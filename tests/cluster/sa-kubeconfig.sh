#!/usr/bin/env bash
# sa-kubeconfig.sh SA NAMESPACE DIR NAME: writes DIR/NAME.kubeconfig, a
# kubeconfig for the cluster of $KUBECONFIG that authenticates as the
# ServiceAccount SA of NAMESPACE with a fresh token (kubectl create token). The
# token sits in DIR/NAME.token (tokenFile, mode 600), never on a command line
# or in the output. Prints the kubeconfig's path.
set -euo pipefail
(($# == 4)) || { echo "usage: $0 SA NAMESPACE DIR NAME" >&2; exit 2; }
sa=$1 ns=$2 dir=$3 name=$4
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')
if [[ -z $ca ]]; then
  ca=$dir/$name-ca.crt
  kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' |
    base64 -d >"$ca"
fi
[[ -s $ca ]] || { echo "sa-kubeconfig: no cluster CA in $KUBECONFIG" >&2; exit 1; }
(umask 077 && kubectl create token "$sa" -n "$ns" --duration=2h >"$dir/$name.token")
(umask 077 && cat >"$dir/$name.kubeconfig") <<KC
apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster: {server: "$server", certificate-authority: "$ca"}
users:
- name: $sa
  user: {tokenFile: "$dir/$name.token"}
contexts:
- name: sa
  context: {cluster: cluster, user: $sa, namespace: $ns}
current-context: sa
KC
echo "$dir/$name.kubeconfig"
