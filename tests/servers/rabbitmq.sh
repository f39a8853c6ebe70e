#!/usr/bin/env bash
# A throwaway RabbitMQ node (Debian's rabbitmq-server with the management
# plugin) run as plain processes, all its state in DIR.
#   rabbitmq.sh up DIR    start; writes into DIR:
#     port        management HTTP port (127.0.0.1)
#     tls_port    management HTTPS port (127.0.0.1), certificate for 127.0.0.1/localhost
#     amqp_port   AMQP 0-9-1 port (127.0.0.1)
#     amqps_port  AMQP 0-9-1 over TLS (127.0.0.1), the same certificate
#     ca.pem      the CA that signed the HTTPS certificate
#     user, password  an administrator of every vhost (password is random, mode 0600)
#     url         http://127.0.0.1:PORT
#   rabbitmq.sh down DIR  stop the node and its private epmd (by pid), remove DIR
# Each node gets its own node name, ports and epmd, so several can run at once
# beside any system-wide RabbitMQ. Statistics are collected every 500 ms so that
# tests see queue counters change quickly.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 up|down DIR" >&2; exit 2; }
cmd=$1
dir=$2
log() { echo "[rabbitmq $(date +%H:%M:%S)] $*" >&2; }
rmq_bin=/usr/lib/rabbitmq/bin

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

make_tls() {
  local t=$dir/tls
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=agentfleet-test-ca \
    -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "$t/server.key" -out "$t/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$t/ext.cnf"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" -CAcreateserial \
    -days 2 -extfile "$t/ext.cnf" -out "$t/server.pem" 2>/dev/null
  chmod 0644 "$t/server.key"
  cp "$t/ca.pem" "$dir/ca.pem"
}

# Alive and not a zombie: the node's processes outlive the `up` call, so their
# parent is whatever reaps orphans here, which may take its time.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

stop_pid_file() {
  local f=$1
  [[ -f $f ]] || return 0
  local pid
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

case $cmd in
  up)
    [[ -x $rmq_bin/rabbitmq-server ]] || { log "rabbitmq-server is not installed (scripts/install-deps.sh)"; exit 1; }
    command -v epmd >/dev/null || { log "epmd (erlang-base) is not installed"; exit 1; }
    started=$(date +%s.%N)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    mgmt_port=$(free_port)
    tls_port=$(free_port)
    amqp_port=$(free_port)
    amqps_port=$(free_port)
    dist_port=$(free_port)
    epmd_port=$(free_port)
    user=agentfleet
    password=$(openssl rand -hex 16)
    make_tls
    mkdir -p "$dir/mnesia" "$dir/log" "$dir/home"

    # A private epmd on its own port, so this node never registers with (or
    # depends on) a system epmd.
    epmd -port "$epmd_port" -address 127.0.0.1 >"$dir/log/epmd.log" 2>&1 &
    echo $! >"$dir/epmd.pid"

    echo '[rabbitmq_management].' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$amqp_port
listeners.ssl.1 = 127.0.0.1:$amqps_port
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt_port
management.ssl.ip = 127.0.0.1
management.ssl.port = $tls_port
management.ssl.cacertfile = $dir/tls/ca.pem
management.ssl.certfile = $dir/tls/server.pem
management.ssl.keyfile = $dir/tls/server.key
management.rates_mode = none
collect_statistics_interval = 500
management.sample_retention_policies.global.minute = 1
management.sample_retention_policies.basic.minute = 1
management.sample_retention_policies.detailed.10 = 1
default_vhost = /
default_user = $user
default_pass = $password
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = info
EOF
    chmod 0600 "$dir/rabbitmq.conf"
    printf '%s' "$user" >"$dir/user"
    (umask 077 && printf '%s' "$password" >"$dir/password")

    (
      export HOME=$dir/home ERL_EPMD_PORT=$epmd_port
      export RABBITMQ_NODENAME=agentfleet-$$-$RANDOM@localhost
      export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
      export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
      export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
      export RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log
      export RABBITMQ_PID_FILE=$dir/beam.pid
      export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$amqp_port
      export RABBITMQ_DIST_PORT=$dist_port
      exec setsid "$rmq_bin/rabbitmq-server" </dev/null >"$dir/log/server.out" 2>&1
    ) &
    echo $! >"$dir/server.pid"

    url=http://127.0.0.1:$mgmt_port
    ready=
    for _ in $(seq 1200); do
      if curl -fs -o /dev/null -u "$user:$password" "$url/api/overview" 2>/dev/null; then
        ready=1
        break
      fi
      kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -z $ready ]]; then
      log "the management API did not answer on port $mgmt_port; see $dir/log"
      tail -20 "$dir/log/server.out" >&2 || true
      exit 1
    fi
    echo "$mgmt_port" >"$dir/port"
    echo "$tls_port" >"$dir/tls_port"
    echo "$amqp_port" >"$dir/amqp_port"
    echo "$amqps_port" >"$dir/amqps_port"
    echo "$url" >"$dir/url"
    log "up: management on 127.0.0.1:$mgmt_port (https $tls_port), amqp $amqp_port (tls $amqps_port)," \
      "in $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
    ;;
  down)
    [[ -d $dir ]] || exit 0
    # The node's state is thrown away, so there is nothing to shut down
    # gracefully (that takes ~7 s): the VM is killed outright, then the
    # wrapper script that waits on it, then the private epmd.
    [[ -f $dir/beam.pid ]] && kill -9 "$(cat "$dir/beam.pid")" 2>/dev/null || true
    stop_pid_file "$dir/beam.pid"
    stop_pid_file "$dir/server.pid"
    [[ -f $dir/epmd.pid ]] && kill -9 "$(cat "$dir/epmd.pid")" 2>/dev/null || true
    stop_pid_file "$dir/epmd.pid"
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
