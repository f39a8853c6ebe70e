#!/usr/bin/env bash
# A throwaway redis-server that speaks only TLS and requires a password, its
# state in DIR. Generates a private CA and a server certificate for 127.0.0.1
# and localhost, plus an unrelated CA that must NOT be trusted.
#   redis_tls.sh up DIR    start; writes DIR/port, DIR/password, DIR/ca.crt, DIR/other-ca.crt
#   redis_tls.sh down DIR  stop it (by pid) and remove DIR
set -euo pipefail
(($# == 2)) || { echo "usage: $0 up|down DIR" >&2; exit 2; }
cmd=$1
dir=$2
log() { echo "[redis-tls $(date +%H:%M:%S)] $*" >&2; }

make_certs() {
  local d=$1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=agentfleet-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=agentfleet-other-ca \
    -keyout "$d/other-ca.key" -out "$d/other-ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 2 -extfile "$d/san.ext" -out "$d/server.crt" 2>/dev/null
}

stop() {
  [[ -f $dir/redis.pid ]] || return 0
  local pid
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

case $cmd in
  up)
    command -v redis-server >/dev/null || { log "redis-server is not installed (scripts/install-deps.sh)"; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    make_certs "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password=$(openssl rand -hex 16)
    umask 077
    printf '%s\n' "$password" >"$dir/password"
    # The password goes in a config file, not on the command line (ps shows that).
    cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port 0
tls-port $port
tls-cert-file $dir/server.crt
tls-key-file $dir/server.key
tls-ca-cert-file $dir/ca.crt
tls-auth-clients no
requirepass $password
dir $dir
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
save ""
appendonly no
CONF
    redis-server "$dir/redis.conf" >/dev/null
    for _ in $(seq 100); do
      if REDISCLI_AUTH=$password redis-cli --tls --cacert "$dir/ca.crt" -h 127.0.0.1 -p "$port" \
        ping 2>/dev/null | grep -q PONG; then
        echo "$port" >"$dir/port"
        log "up on 127.0.0.1:$port (TLS)"
        exit 0
      fi
      sleep 0.1
    done
    log "redis-server (TLS) did not answer on port $port; see $dir/redis.log"
    exit 1
    ;;
  down)
    stop
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
