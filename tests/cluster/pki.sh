#!/usr/bin/env bash
# Generates a CA, the kube-apiserver serving certificate, client certificates for
# the admin and the control-plane components, and the service-account key pair.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=agentfleet-local-ca"
sign() { # sign NAME SUBJECT [SAN]
  local name=$1 subj=$2 san=${3:-}
  ossl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj"
  local ext="$name.ext"
  { echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    if [[ -n $san ]]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi
  } >"$ext"
  ossl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 3650 -extfile "$ext"
  rm -f "$name.csr" "$ext"
}
sign apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=agentfleet-admin"
sign controller-manager "/CN=system:kube-controller-manager"
sign scheduler "/CN=system:kube-scheduler"
ossl genrsa -out sa.key 2048
ossl rsa -in sa.key -pubout -out sa.pub
echo "$out"
