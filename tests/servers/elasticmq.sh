#!/usr/bin/env bash
# A throwaway ElasticMQ (an SQS-compatible server) on a free loopback port, its
# state in DIR.
#   elasticmq.sh up DIR    start; writes DIR/port and DIR/url (http://127.0.0.1:PORT)
#   elasticmq.sh down DIR  stop it (by pid) and remove DIR
# The server's jars come from Maven Central through mvn (the runnable "native"
# jar is not published there, so a tiny pom resolves elasticmq-server and its
# dependencies) and are cached, per version, in ~/.cache/agentfleet.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 up|down DIR" >&2; exit 2; }
cmd=$1
dir=$2
version=1.6.11
cache=${AGENTFLEET_CACHE:-$HOME/.cache/agentfleet}/elasticmq-$version
log() { echo "[elasticmq $(date +%H:%M:%S)] $*" >&2; }

fetch() {
  [[ -f $cache/lib/.complete ]] && return 0
  command -v mvn >/dev/null || { log "mvn is not installed (scripts/install-deps.sh)"; return 1; }
  log "fetching elasticmq-server $version with mvn into $cache"
  rm -rf "$cache"
  mkdir -p "$cache"
  cat >"$cache/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.agentfleet.fixtures</groupId>
  <artifactId>elasticmq-runner</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.elasticmq</groupId>
      <artifactId>elasticmq-server_2.13</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -q -B -f "$cache/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$cache/lib" >"$cache/mvn.log" 2>&1 ||
    { log "mvn failed; see $cache/mvn.log"; tail -20 "$cache/mvn.log" >&2; return 1; }
  touch "$cache/lib/.complete"
}

# Alive and not a zombie: the server outlives the `up` call, so its parent is
# whatever reaps orphans here, which may take its time.
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

stop() {
  [[ -f $dir/elasticmq.pid ]] || return 0
  local pid
  pid=$(cat "$dir/elasticmq.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/elasticmq.pid"
}

case $cmd in
  up)
    command -v java >/dev/null || { log "java is not installed (scripts/install-deps.sh)"; exit 1; }
    fetch
    started=$(date +%s.%N)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$dir/elasticmq.conf" <<EOF
include classpath("application.conf")
node-address { protocol = http, host = 127.0.0.1, port = $port, context-path = "" }
rest-sqs { enabled = true, bind-port = $port, bind-hostname = "127.0.0.1", sqs-limits = strict }
rest-stats { enabled = false }
aws { region = us-east-1, accountId = "000000000000" }
EOF
    java -Xmx256m -XX:TieredStopAtLevel=1 -Dconfig.file="$dir/elasticmq.conf" \
      -cp "$cache/lib/*" org.elasticmq.server.Main </dev/null >"$dir/elasticmq.log" 2>&1 &
    echo $! >"$dir/elasticmq.pid"
    url=http://127.0.0.1:$port
    ready=
    for _ in $(seq 600); do
      if curl -fs -o /dev/null "$url/?Action=ListQueues" 2>/dev/null; then
        ready=1
        break
      fi
      kill -0 "$(cat "$dir/elasticmq.pid")" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -z $ready ]]; then
      log "ElasticMQ did not answer on port $port; see $dir/elasticmq.log"
      tail -20 "$dir/elasticmq.log" >&2 || true
      stop
      exit 1
    fi
    echo "$port" >"$dir/port"
    echo "$url" >"$dir/url"
    log "up on 127.0.0.1:$port in $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
    ;;
  down)
    stop
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
