#!/usr/bin/env bash
# A throwaway redis-server on a free loopback port, its state in DIR.
#   redis.sh up DIR     start; writes DIR/port and DIR/url (redis://127.0.0.1:PORT)
#   redis.sh down DIR   stop it (by pid) and remove DIR
#   redis.sh restart DIR  stop and start again on the same port, keeping nothing
#                         (with AGENTFLEET_REDIS_DURABLE=1 at `up`: an append-only
#                         file fsynced at every write, replayed at the restart,
#                         as a production queue and lease store is run; users
#                         kept once saved with ACL SAVE)
set -euo pipefail
(($# == 2)) || { echo "usage: $0 up|down|restart DIR" >&2; exit 2; }
cmd=$1
dir=$2
log() { echo "[redis $(date +%H:%M:%S)] $*" >&2; }

start() {
  local port=$1
  local persistence=(--appendonly no)
  # Users survive a restart once saved (ACL SAVE) to the ACL file.
  [[ -f $dir/durable ]] &&
    persistence=(--appendonly yes --appendfsync always --aclfile "$dir/users.acl")
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' "${persistence[@]}" \
    --protected-mode no >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  log "redis-server did not answer on port $port; see $dir/redis.log"
  return 1
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
    if [[ ${AGENTFLEET_REDIS_DURABLE:-} == 1 ]]; then touch "$dir/durable" "$dir/users.acl"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start "$port"
    echo "$port" >"$dir/port"
    echo "redis://127.0.0.1:$port" >"$dir/url"
    log "up on 127.0.0.1:$port"
    ;;
  restart)
    port=$(cat "$dir/port")
    stop
    start "$port"
    log "restarted on 127.0.0.1:$port"
    ;;
  down)
    stop
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|down|restart DIR" >&2; exit 2 ;;
esac
