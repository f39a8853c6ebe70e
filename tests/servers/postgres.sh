#!/usr/bin/env bash
# A throwaway PostgreSQL server on a free loopback port, its state in DIR.
#   postgres.sh up DIR       initdb + start; writes DIR/port, DIR/password,
#                            DIR/conninfo (libpq keywords, without the password;
#                            sslmode=disable, since this server has no TLS and
#                            the clients' default is verify-full)
#   postgres.sh down DIR     stop it (by pid) and remove DIR
#   postgres.sh restart DIR  stop (fast, clean) and start again on the same port,
#                            keeping the data
# TCP connections need the password (scram-sha-256), so tests exercise real
# authentication; the unix socket (DIR/sock) trusts the local user.
# PostgreSQL refuses to run as root: when run as root, the server runs as the
# `postgres` user (created by Debian's postgresql package) via runuser.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 up|down|restart DIR" >&2; exit 2; }
cmd=$1
dir=$2
log() { echo "[postgres $(date +%H:%M:%S)] $*" >&2; }

pgbin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x $d/initdb ]] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  log "PostgreSQL server binaries not found (scripts/install-deps.sh installs postgresql)"
  return 1
}

as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Where the cluster and its socket live: DIR, unless the server user cannot
# reach DIR (root running in a private directory), then a directory under /tmp
# recorded in DIR/statedir.
state_dir() {
  if [[ -f $dir/statedir ]]; then cat "$dir/statedir"; else echo "$dir"; fi
}
data_dir() { echo "$(state_dir)/data"; }
sock_dir() { echo "$(state_dir)/sock"; }

start() {
  local port=$1 bin data
  bin=$(pgbin)
  data=$(data_dir)
  as_server_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port -k $(sock_dir) -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  for _ in $(seq 100); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    sleep 0.1
  done
  log "postgres did not answer on port $port; see $data/server.log"
  return 1
}

stop() {
  local data pid
  data=$(data_dir)
  [[ -f $data/postmaster.pid ]] || return 0
  pid=$(head -1 "$data/postmaster.pid")
  kill -INT "$pid" 2>/dev/null || true  # SIGINT: fast shutdown, clean
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$data/postmaster.pid"
}

case $cmd in
  up)
    bin=$(pgbin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || { log "user postgres missing (install the postgresql package)"; exit 1; }
      if runuser -u postgres -- test -x "$dir"; then
        chown postgres "$dir"
      else
        state=$(mktemp -d /tmp/agentfleet-pg.XXXXXX)
        chown postgres "$state"
        echo "$state" >"$dir/statedir"
      fi
    fi
    mkdir -p "$(sock_dir)"
    [[ $(id -u) -ne 0 ]] || chown postgres "$(sock_dir)"
    data=$(data_dir)
    password=$(openssl rand -hex 16)
    pwfile=$(mktemp)
    printf '%s\n' "$password" >"$pwfile"
    chmod 644 "$pwfile"
    as_server_user "$bin/initdb" -D "$data" -U agentfleet --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { rm -f "$pwfile"; log "initdb failed; see $dir/initdb.log"; exit 1; }
    rm -f "$pwfile"
    (umask 077; printf '%s\n' "$password" >"$dir/password")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    start "$port"
    as_server_user "$bin/createdb" -h "$(sock_dir)" -p "$port" -U agentfleet agentfleet
    echo "$port" >"$dir/port"
    echo "host=127.0.0.1 port=$port user=agentfleet dbname=agentfleet sslmode=disable" >"$dir/conninfo"
    log "up on 127.0.0.1:$port"
    ;;
  restart)
    dir=$(cd "$dir" && pwd)
    port=$(cat "$dir/port")
    stop
    start "$port"
    log "restarted on 127.0.0.1:$port"
    ;;
  down)
    [[ -d $dir ]] || exit 0
    dir=$(cd "$dir" && pwd)
    stop
    if [[ -f $dir/statedir ]]; then rm -rf "$(cat "$dir/statedir")"; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|down|restart DIR" >&2; exit 2 ;;
esac
