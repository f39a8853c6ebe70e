#!/usr/bin/env bash
# Installs, from Debian's packages, everything agentfleet builds and tests with.
# Idempotent: on a machine that has them it installs nothing and asks no registry.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang-format git curl ca-certificates openssl
  libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-system-dev
  libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libpq-dev librabbitmq-dev redis-server postgresql
  rabbitmq-server python3-pika python3-yaml python3-redis openjdk-17-jre-headless maven
  python3-matplotlib # make demo draws its timeline (scripts/demo_plot.py)
  prometheus # for promtool: tests/e2e/chart checks the alerts of docs/operations.md
  clang libclang-rt-14-dev # the fuzzers (tests/fuzz): libFuzzer and clang's sanitizer runtimes
)
# python3 may come from elsewhere than Debian (pyenv); any python3 on PATH will do.
command -v python3 >/dev/null || packages+=(python3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi

# The control plane is built with the machine's Go; Debian's Go is too old for it.
if ! command -v go >/dev/null; then
  echo "install-deps: Go 1.26 or newer must be on PATH to build the local control plane" >&2
  exit 1
fi
