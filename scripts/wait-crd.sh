#!/usr/bin/env bash
# wait-crd.sh NAME [SECONDS]: waits until the CustomResourceDefinition NAME is
# Established (default 60 s). `kubectl wait --for=condition=Established` fails
# at once, instead of waiting, when it reads the CRD before the API server has
# written any condition (".status.conditions accessor error: <nil>").
set -euo pipefail
name=${1:?usage: wait-crd.sh NAME [SECONDS]}
end=$((SECONDS + ${2:-60}))
path='{.status.conditions[?(@.type=="Established")].status}'
while [[ $(kubectl get crd "$name" -o jsonpath="$path" 2>/dev/null) != True ]]; do
  if ((SECONDS >= end)); then
    echo "wait-crd.sh: the CRD $name is not Established after ${2:-60} s" >&2
    exit 1
  fi
  sleep 0.2
done
