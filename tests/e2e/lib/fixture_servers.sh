# Sourced by the e2e scripts that point fleets at the fixture servers: a Redis
# ACL user whose password only a Secret holds, PostgreSQL with its scram
# password, a RabbitMQ vhost with a monitoring-only user, an SQS queue on
# ElasticMQ. Needs $AGENTFLEET_{REDIS,POSTGRES,RABBITMQ,ELASTICMQ}_DIR (set by
# ctest's fixtures), redis-cli, curl, openssl and python3, and a fail function.
#
#   fixture_servers_up ID ENDPOINTS.json  # creates them; writes what
#                                         # rewrite_examples.py reads
#   fixture_seed_queues PLAN.json DEPTH   # DEPTH tasks in every queue of the
#                                         # plan rewrite_examples.py printed
#   fixture_servers_down                  # removes them (safe to call twice)
#
# Every credential it makes is appended to the array fixture_secrets: none
# may ever appear in a log, an event or a status.

fixture_secrets=()
fixture_id=
fixture_sqs_queue_url=
fixture_sqs_dead_url=
fixture_redis_port=$(cat "$AGENTFLEET_REDIS_DIR/port")
fixture_rmq_url=$(cat "$AGENTFLEET_RABBITMQ_DIR/url")
fixture_rmq_admin=$(cat "$AGENTFLEET_RABBITMQ_DIR/user"):$(cat "$AGENTFLEET_RABBITMQ_DIR/password")
fixture_rmq_amqp_port=$(cat "$AGENTFLEET_RABBITMQ_DIR/amqp_port")
fixture_sqs_url=$(cat "$AGENTFLEET_ELASTICMQ_DIR/url")

rcli() { redis-cli -p "$fixture_redis_port" "$@"; }
rmq() {  # METHOD PATH [JSON]
  curl -fsS -u "$fixture_rmq_admin" -X "$1" -H 'content-type: application/json' \
    "$fixture_rmq_url$2" ${3:+-d "$3"}
}
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

fixture_servers_up() {  # ID ENDPOINTS.json
  fixture_id=$1
  local out=$2 redis_password pg_password pg_port rmq_password rmq_agent_password sqs_secret_key
  redis_password=$(openssl rand -hex 16)
  rcli ACL SETUSER "$fixture_id" on ">$redis_password" '~*' '&*' +@all >/dev/null ||
    fail "cannot create the Redis ACL user"
  pg_password=$(cat "$AGENTFLEET_POSTGRES_DIR/password")
  pg_port=$(cat "$AGENTFLEET_POSTGRES_DIR/port")
  rmq_password=$(openssl rand -hex 16)
  rmq PUT "/api/vhosts/$(urlencode "$fixture_id")" '{}' >/dev/null || fail "cannot create the RabbitMQ vhost"
  rmq PUT "/api/users/$(urlencode "$fixture_id-monitor")" \
    "{\"password\":\"$rmq_password\",\"tags\":\"monitoring\"}" >/dev/null ||
    fail "cannot create the RabbitMQ user"
  rmq PUT "/api/permissions/$(urlencode "$fixture_id")/$(urlencode "$fixture_id-monitor")" \
    '{"configure":"^$","write":"^$","read":"^$"}' >/dev/null || fail "cannot grant the RabbitMQ user the vhost"
  # The agents' own AMQP user: consumes the task queue, declares and publishes
  # to the dead-letter queue.
  rmq_agent_password=$(openssl rand -hex 16)
  rmq PUT "/api/users/$(urlencode "$fixture_id-agent")" \
    "{\"password\":\"$rmq_agent_password\",\"tags\":\"\"}" >/dev/null ||
    fail "cannot create the RabbitMQ agent user"
  rmq PUT "/api/permissions/$(urlencode "$fixture_id")/$(urlencode "$fixture_id-agent")" \
    '{"configure":".*","write":".*","read":".*"}' >/dev/null || fail "cannot grant the RabbitMQ agent user the vhost"
  fixture_sqs_queue_url=$(curl -fsS "$fixture_sqs_url/?Action=CreateQueue&QueueName=$fixture_id-pricing-tasks" |
    sed -n 's:.*<QueueUrl>\(.*\)</QueueUrl>.*:\1:p') || true
  [[ -n $fixture_sqs_queue_url ]] || fail "cannot create the SQS queue on ElasticMQ at $fixture_sqs_url"
  # The agents' dead-letter queue (<name>-dead), which they do not create.
  fixture_sqs_dead_url=$(curl -fsS "$fixture_sqs_url/?Action=CreateQueue&QueueName=$fixture_id-pricing-tasks-dead" |
    sed -n 's:.*<QueueUrl>\(.*\)</QueueUrl>.*:\1:p') || true
  [[ -n $fixture_sqs_dead_url ]] || fail "cannot create the SQS dead-letter queue on ElasticMQ"
  sqs_secret_key=$(openssl rand -hex 20)
  fixture_secrets+=("$redis_password" "$pg_password" "$rmq_password" "$rmq_agent_password" "$sqs_secret_key")

  python3 - "$out" <<PY
import json, sys
json.dump({
  "run": "$fixture_id",
  "redis": {"url": "redis://$fixture_id@127.0.0.1:$fixture_redis_port/0", "password": "$redis_password"},
  "postgres": {"url": "postgresql://agentfleet@127.0.0.1:$pg_port/agentfleet", "password": "$pg_password"},
  "rabbitmq": {"url": "$fixture_rmq_url", "vhost": "$fixture_id", "username": "$fixture_id-monitor",
               "password": "$rmq_password",
               "amqpURL": "amqp://$fixture_id-agent@127.0.0.1:$fixture_rmq_amqp_port/$fixture_id",
               "agentPassword": "$rmq_agent_password"},
  "sqs": {"endpoint": "$fixture_sqs_url", "region": "us-east-1", "queueName": "$fixture_id-pricing-tasks",
          "queueURL": "$fixture_sqs_queue_url", "deadLetterQueueURL": "$fixture_sqs_dead_url",
          "accessKeyID": "AKIDE2EEXAMPLES",
          "secretAccessKey": "$sqs_secret_key"},
  "leaseDurationSeconds": 600,
}, open(sys.argv[1], "w"))
PY
}

fixture_seed_queues() {  # PLAN.json DEPTH
  # Every queue holds $2 tasks (once per distinct queue: fleets may share one).
  python3 -c '
import json, sys
seen = set()
for e in json.load(open(sys.argv[1])):
    q = e["queue"]
    key = json.dumps(q, sort_keys=True)
    if key not in seen:
        seen.add(key)
        print(q["kind"], q.get("keyPrefix") or q.get("key") or q.get("queue") or q.get("queueURL"))
' "$1" |
  while read -r kind where; do
    case $kind in
      redisStreams)  # spread over two shards: the depth is the sum over the streams
        for i in $(seq "$2"); do
          rcli XADD "$where:$((i % 2))" '*' task "t$i" product "p$i" price 100 >/dev/null
        done ;;
      redisList)
        for i in $(seq "$2"); do rcli RPUSH "$where" "t$i" >/dev/null; done ;;
      sqs)
        for i in $(seq "$2"); do
          curl -fsS -o /dev/null -X POST "$where" -d "Action=SendMessage&MessageBody=t$i"
        done ;;
      rabbitmq)
        rmq PUT "/api/queues/$(urlencode "$fixture_id")/$(urlencode "$where")" \
          '{"durable":true,"auto_delete":false}' >/dev/null
        for i in $(seq "$2"); do
          rmq POST "/api/exchanges/$(urlencode "$fixture_id")/amq.default/publish" \
            "{\"properties\":{},\"routing_key\":\"$where\",\"payload\":\"t$i\",\"payload_encoding\":\"string\"}" >/dev/null
        done ;;
      *) fail "no way to seed a $kind queue" ;;
    esac
  done
}

fixture_servers_down() {
  [[ -n $fixture_id ]] || return 0
  rcli ACL DELUSER "$fixture_id" >/dev/null 2>&1
  rcli --scan --pattern "$fixture_id:*" 2>/dev/null |
    xargs -r redis-cli -p "$fixture_redis_port" DEL >/dev/null 2>&1
  rmq DELETE "/api/vhosts/$(urlencode "$fixture_id")" >/dev/null 2>&1
  rmq DELETE "/api/users/$(urlencode "$fixture_id-monitor")" >/dev/null 2>&1
  rmq DELETE "/api/users/$(urlencode "$fixture_id-agent")" >/dev/null 2>&1
  [[ -z $fixture_sqs_queue_url ]] ||
    curl -fsS -o /dev/null "$fixture_sqs_url/?Action=DeleteQueue&QueueUrl=$fixture_sqs_queue_url"
  [[ -z $fixture_sqs_dead_url ]] ||
    curl -fsS -o /dev/null "$fixture_sqs_url/?Action=DeleteQueue&QueueUrl=$fixture_sqs_dead_url"
  fixture_id=
  return 0
}
