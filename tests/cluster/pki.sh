#!/usr/bin/env bash
# Generates a CA, the kube-apiserver serving certificate, client certificates for
# the admin and the control-plane components, the service-account key pair, and
# the aggregation layer's front-proxy CA and client certificate.
set -euo pipefail
out=$1
mkdir -p "$out"
cd "$out"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=agentfleet-local-ca"
sign() { # sign NAME SUBJECT [SAN]; CA=NAME picks the signing CA (default ca)
  local name=$1 subj=$2 san=${3:-}
  ossl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj"
  local ext="$name.ext"
  { echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    if [[ -n $san ]]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi
  } >"$ext"
  local ca=${CA:-ca}
  ossl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -out "$name.crt" -days 3650 -extfile "$ext"
  rm -f "$name.csr" "$ext"
}
sign apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign metrics-server "/CN=metrics-server" "IP:127.0.0.1,DNS:localhost,DNS:metrics-server.kube-system.svc"
sign admin "/O=system:masters/CN=agentfleet-admin"
sign controller-manager "/CN=system:kube-controller-manager"
sign scheduler "/CN=system:kube-scheduler"
# kube-apiserver proxies an aggregated API (metrics.k8s.io) as front-proxy-client,
# a client certificate of a CA of its own: the aggregated server trusts the
# user it names in X-Remote-User only from a holder of that certificate.
ossl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 3650 \
  -subj "/CN=agentfleet-front-proxy-ca"
CA=front-proxy-ca sign front-proxy-client "/CN=front-proxy-client"
ossl genrsa -out sa.key 2048
ossl rsa -in sa.key -pubout -out sa.pub
echo "$out"
