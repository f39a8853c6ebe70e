#!/usr/bin/env python3
"""Tasks for the example fleets' real agents, and what they did with them.

    agent_run.py push PLAN.json ENDPOINTS.json COUNT OUT.json
        COUNT tasks per fleet, as its queue takes them: a stream entry in the
        product's shard stream, or a JSON task message (docs/protocol.md,
        Shared queues) appended to the Redis list, sent to SQS, published to
        RabbitMQ. Writes OUT.json: per fleet its lease store and the base
        price of each product.
    agent_run.py check OUT.json NAMESPACE ENDPOINTS.json
        Exit 0 when every product's price is in its fleet's result store,
        repriced (+7 %, half up); else prints what is missing, per fleet.
    agent_run.py leases OUT.json NAMESPACE ENDPOINTS.json STATE.json
        One sample of every fleet's lease table, read from outside the
        operator and the agents; STATE.json keeps what earlier samples saw.
        Exit 1 naming the shard when a shard has two valid holders in one
        sample or its token went down since an earlier sample.

The fixture servers are reached as examples_test.sh set them up: Redis and
RabbitMQ through their admin access ($AGENTFLEET_REDIS_DIR,
$AGENTFLEET_RABBITMQ_DIR), PostgreSQL with its password file, ElasticMQ
unsigned (it does not check signatures).
"""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def fail(message):
    print("agent_run: " + message, file=sys.stderr)
    sys.exit(1)


def shard_of(product, shards):
    h = 0xCBF29CE484222325
    for b in product.encode():
        h = ((h ^ b) * 0x100000001B3) % (1 << 64)
    return h % shards


def redis(*args):
    port = open(os.path.join(os.environ["AGENTFLEET_REDIS_DIR"], "port")).read().strip()
    out = subprocess.run(["redis-cli", "-p", port, "--no-raw", *args], check=True,
                         capture_output=True, text=True).stdout
    return out


def redis_raw(*args):
    port = open(os.path.join(os.environ["AGENTFLEET_REDIS_DIR"], "port")).read().strip()
    return subprocess.run(["redis-cli", "-p", port, *args], check=True, capture_output=True,
                          text=True).stdout.splitlines()


def psql(ep, sql, *params):
    pg = os.environ["AGENTFLEET_POSTGRES_DIR"]
    port = open(os.path.join(pg, "port")).read().strip()
    env = dict(os.environ, PGPASSWORD=ep["postgres"]["password"])
    args = ["psql", "-h", "127.0.0.1", "-p", port, "-U", "agentfleet", "-d", "agentfleet",
            "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
    for i, p in enumerate(params):
        args += ["-v", f"p{i}={p}"]
    out = subprocess.run(args, input=sql, check=True, capture_output=True, text=True, env=env)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def rabbitmq_publish(ep, queue, body):
    d = os.environ["AGENTFLEET_RABBITMQ_DIR"]
    url = open(os.path.join(d, "url")).read().strip()
    user = open(os.path.join(d, "user")).read().strip()
    password = open(os.path.join(d, "password")).read().strip()
    vhost = urllib.parse.quote(ep["rabbitmq"]["vhost"], safe="")
    req = urllib.request.Request(
        f"{url}/api/exchanges/{vhost}/amq.default/publish", method="POST",
        data=json.dumps({"properties": {"timestamp": int(time.time())}, "routing_key": queue,
                         "payload": body, "payload_encoding": "string"}).encode(),
        headers={"content-type": "application/json",
                 "authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
    answer = json.load(urllib.request.urlopen(req, timeout=10))
    if not answer.get("routed"):
        fail(f"RabbitMQ did not route a task to queue {queue}")


def sqs_send(queue_url, body):
    data = urllib.parse.urlencode({"Action": "SendMessage", "MessageBody": body}).encode()
    urllib.request.urlopen(urllib.request.Request(queue_url, data=data, method="POST"),
                           timeout=10).read()


def push(plan_path, ep_path, count, out_path):
    plan, ep = json.load(open(plan_path)), json.load(open(ep_path))
    seen, out = {}, {}
    for e in plan:
        q = e["queue"]
        key = json.dumps(q, sort_keys=True)
        if key in seen:
            fail(f"fleets {seen[key]} and {e['name']} share a queue: whose agents price a task?")
        seen[key] = e["name"]
        products = {}
        for i in range(count):
            product, price = f"e2e-{e['name']}-{i}", 100 + i
            products[product] = price
            task = {"task": f"t-{product}", "product": product, "price": price, "version": i + 1,
                    "enqueued": int(time.time() * 1000)}
            body = json.dumps(task)
            if q["kind"] == "redisStreams":
                stream = f"{q['keyPrefix']}:{shard_of(product, e['shards'])}"
                redis("XADD", stream, "*", "task", task["task"], "product", product,
                      "price", str(price))
            elif q["kind"] == "redisList":
                redis("RPUSH", q["key"], body)
            elif q["kind"] == "sqs":
                sqs_send(q["queueURL"], body)
            elif q["kind"] == "rabbitmq":
                rabbitmq_publish(ep, q["queue"], body)
            else:
                fail(f"no way to push a task to a {q['kind']} queue")
        out[e["name"]] = {"leases": e["leases"], "products": products}
    json.dump(out, open(out_path, "w"), indent=1)


def stored_prices(ns, name, leases, ep, products):
    fleet = f"{ns}/{name}"
    if leases["kind"] == "redis":
        key = f"{leases['keyPrefix']}results:{{{fleet}}}:prices"
        values = redis_raw("HMGET", key, *products)
        # "<token> <shard> <price> [<version>]"
        return {p: int(v.split()[2]) for p, v in zip(products, values) if v}
    rows = psql(ep, "SELECT product, price FROM product_prices WHERE fleet = :'p0'", fleet)
    return {r[0]: int(r[1]) for r in rows}


def check(out_path, ns, ep_path):
    runs, ep = json.load(open(out_path)), json.load(open(ep_path))
    ok = True
    for name, run in runs.items():
        products = run["products"]
        stored = stored_prices(ns, name, run["leases"], ep, list(products))
        missing = [p for p in products if p not in stored]
        wrong = [p for p in products if p in stored and stored[p] != (products[p] * 107 + 50) // 100]
        if missing or wrong:
            ok = False
            print(f"fleet {name}: {len(products) - len(missing)}/{len(products)} priced"
                  + (f", wrong prices for {wrong[:3]}" if wrong else "")
                  + (f", e.g. {missing[0]} missing" if missing else ""))
    sys.exit(0 if ok else 1)


def lease_records(ns, name, leases, ep):
    """[(shard, token, holder, valid)] in one consistent read."""
    fleet = f"{ns}/{name}"
    if leases["kind"] == "redis":
        key = f"{leases['keyPrefix']}lease:{{{fleet}}}"
        lines = redis_raw("EVAL", "return {redis.call('TIME'), redis.call('HGETALL', KEYS[1])}",
                          "1", key)
        now_ms = int(lines[0]) * 1000 + int(lines[1]) // 1000
        fields = lines[2:]
        out = []
        for shard, value in zip(fields[0::2], fields[1::2]):
            token, expires, holder = (value.split(" ", 2) + [""])[:3]
            out.append((int(shard), int(token), holder, bool(holder) and int(expires) > now_ms))
        return out
    rows = psql(ep, "SELECT shard, token, holder, holder <> '' AND expires_at > now() "
                    "FROM shard_leases WHERE fleet = :'p0'", fleet)
    return [(int(r[0]), int(r[1]), r[2], r[3] == "t") for r in rows]


def leases(out_path, ns, ep_path, state_path):
    runs, ep = json.load(open(out_path)), json.load(open(ep_path))
    state = json.load(open(state_path)) if os.path.exists(state_path) else {}
    bad = []
    for name, run in runs.items():
        s = state.setdefault(name, {"tokens": {}, "samples": 0, "holders": []})
        valid = {}
        for shard, token, holder, ok in lease_records(ns, name, run["leases"], ep):
            last = s["tokens"].get(str(shard), 0)
            if token < last:
                bad.append(f"fleet {name} shard {shard}: token {token} after {last}")
            s["tokens"][str(shard)] = max(last, token)
            if ok:
                valid.setdefault(shard, set()).add(holder)
                if holder not in s["holders"]:
                    s["holders"].append(holder)
        for shard, holders in valid.items():
            if len(holders) > 1:
                bad.append(f"fleet {name} shard {shard}: two valid holders {sorted(holders)}")
        s["samples"] += 1
    json.dump(state, open(state_path, "w"))
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


def main():
    if len(sys.argv) < 2:
        fail("usage: agent_run.py push|check|leases ...")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "push" and len(args) == 4:
        push(args[0], args[1], int(args[2]), args[3])
    elif cmd == "check" and len(args) == 3:
        check(*args)
    elif cmd == "leases" and len(args) == 4:
        leases(*args)
    else:
        fail("usage: agent_run.py push PLAN ENDPOINTS COUNT OUT | check OUT NS ENDPOINTS | "
             "leases OUT NS ENDPOINTS STATE")


if __name__ == "__main__":
    main()
