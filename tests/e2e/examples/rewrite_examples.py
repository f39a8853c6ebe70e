#!/usr/bin/env python3
"""Points the example manifests at the test's fixture servers.

    rewrite_examples.py ENDPOINTS.json OUT_DIR FILE...

ENDPOINTS.json holds what examples_test.sh set up on the fixture servers:

    {"run": "<unique prefix>",
     "redis": {"url": "redis://user@127.0.0.1:P/0", "password": "..."},
     "postgres": {"url": "postgresql://agentfleet@127.0.0.1:P/agentfleet", "password": "..."},
     "rabbitmq": {"url": "http://127.0.0.1:P", "vhost": "...", "username": "...", "password": "...",
                  "amqpURL": "amqp://agent-user@127.0.0.1:P/vhost", "agentPassword": "..."},
     "sqs": {"endpoint": "http://127.0.0.1:P", "region": "us-east-1", "queueName": "...",
             "queueURL": "...", "deadLetterQueueURL": "...", "accessKeyID": "...",
             "secretAccessKey": "..."},
     "leaseDurationSeconds": 600}

Every FILE is written to OUT_DIR under its own name with, in each
PricingAgentFleet, the queue's and the lease store's server replaced by the
fixture's (Redis keys and prefixes made unique to the run), the agents' own
queue settings in the template (RabbitMQ's AMQP address, the agents' SQS and
AMQP credentials) pointed there too, and, in each Secret, the keys the fleets
refer to set to the fixture's credentials. The
structure of the manifests is left as it is.

Prints a JSON plan on stdout: per fleet its name, shard count, the replica
count it must settle at with an empty queue, and where its queue is (for the
test to seed it). Exits 1 with a message naming the file when an example uses
a backend this script does not know, or refers to a Secret key that no example
provides, or two fleets need different values in one Secret key.
"""
import base64
import json
import os
import sys

import yaml


def fail(message):
    print("rewrite_examples: " + message, file=sys.stderr)
    sys.exit(1)


def secret_ref(var):
    ref = var.get("valueFrom", {}).get("secretKeyRef")
    return (ref["name"], ref["key"]) if ref else None


def agent_env(where, spec, queue, ep, need):
    """Points what the template tells the agents about their queue at the fixture."""
    containers = spec.get("template", {}).get("spec", {}).get("containers", [])
    for c in containers:
        for var in c.get("env", []):
            name, ref = var.get("name"), secret_ref(var)
            if "rabbitmq" in queue and name == "AGENTFLEET_QUEUE_URL":
                var["value"] = ep["rabbitmq"]["amqpURL"]
            elif "rabbitmq" in queue and name == "AGENTFLEET_QUEUE_PASSWORD" and ref:
                need(where, *ref, ep["rabbitmq"]["agentPassword"], "RabbitMQ agent password")
            elif "sqs" in queue and name == "AWS_ACCESS_KEY_ID" and ref:
                need(where, *ref, ep["sqs"]["accessKeyID"], "the agents' AWS access key ID")
            elif "sqs" in queue and name == "AWS_SECRET_ACCESS_KEY" and ref:
                need(where, *ref, ep["sqs"]["secretAccessKey"], "the agents' AWS secret key")


def main():
    if len(sys.argv) < 4:
        fail("usage: rewrite_examples.py ENDPOINTS.json OUT_DIR FILE...")
    with open(sys.argv[1]) as f:
        ep = json.load(f)
    out_dir = sys.argv[2]
    files = sys.argv[3:]
    run = ep["run"]

    docs = {}  # file -> list of documents
    for path in files:
        with open(path) as f:
            docs[path] = [d for d in yaml.safe_load_all(f) if d is not None]

    # Secret (name, key) -> (value, what needs it), collected from the fleets.
    needed = {}

    def need(where, secret, key, value, what):
        slot = (secret, key)
        if slot in needed and needed[slot][0] != value:
            fail(f"{where}: Secret {secret} key {key} is needed both as {needed[slot][1]} "
                 f"and as {what}; give them separate keys")
        needed[slot] = (value, what)

    plan = []
    for path, items in docs.items():
        where = os.path.basename(path)
        for d in items:
            if d.get("kind") != "PricingAgentFleet":
                continue
            name = d["metadata"]["name"]
            where_f = f"{where} (fleet {name})"
            spec = d["spec"]
            entry = {"name": name, "file": where, "shards": spec.get("shards", 256)}
            if "autoscaling" in spec:
                # An empty queue: the autoscaler settles at minReplicas.
                entry["replicas"] = spec["autoscaling"].get("minReplicas", 1)
            else:
                entry["replicas"] = spec.get("replicas", 1)

            queue = spec["queue"]
            if set(queue) - {"redisStreams", "redisList", "sqs", "rabbitmq"}:
                fail(f"{where_f}: unknown queue backend {sorted(queue)}")
            if "redisStreams" in queue:
                q = queue["redisStreams"]
                q["url"] = ep["redis"]["url"]
                q["keyPrefix"] = run + ":" + q["keyPrefix"]
                entry["queue"] = {"kind": "redisStreams", "keyPrefix": q["keyPrefix"]}
                if "passwordSecretRef" in q:
                    r = q["passwordSecretRef"]
                    need(where_f, r["name"], r["key"], ep["redis"]["password"], "Redis password")
            elif "redisList" in queue:
                q = queue["redisList"]
                q["url"] = ep["redis"]["url"]
                q["key"] = run + ":" + q["key"]
                entry["queue"] = {"kind": "redisList", "key": q["key"]}
                if "passwordSecretRef" in q:
                    r = q["passwordSecretRef"]
                    need(where_f, r["name"], r["key"], ep["redis"]["password"], "Redis password")
            elif "sqs" in queue:
                q = queue["sqs"]
                s = ep["sqs"]
                if "queueURL" in q:
                    q["queueURL"] = s["queueURL"]
                else:
                    q["queueName"] = s["queueName"]
                q["endpoint"] = s["endpoint"]
                q["region"] = s["region"]
                entry["queue"] = {"kind": "sqs", "queueURL": s["queueURL"]}
                r = q.get("credentialsSecretRef")
                if r is None:
                    fail(f"{where_f}: without credentialsSecretRef the operator would use its "
                         "own AWS credentials, which the test does not have")
                need(where_f, r["name"], r.get("accessKeyIDKey", "accessKeyID"),
                     s["accessKeyID"], "AWS access key ID")
                need(where_f, r["name"], r.get("secretAccessKeyKey", "secretAccessKey"),
                     s["secretAccessKey"], "AWS secret access key")
                if "sessionTokenKey" in r:
                    need(where_f, r["name"], r["sessionTokenKey"], "e2e-session-token",
                         "AWS session token")
            else:
                q = queue["rabbitmq"]
                m = ep["rabbitmq"]
                q["managementURL"] = m["url"]
                q["vhost"] = m["vhost"]
                entry["queue"] = {"kind": "rabbitmq", "vhost": m["vhost"], "queue": q["queue"]}
                r = q.get("credentialsSecretRef")
                if r is None:
                    fail(f"{where_f}: a RabbitMQ queue needs credentialsSecretRef")
                need(where_f, r["name"], r.get("usernameKey", "username"), m["username"],
                     "RabbitMQ user name")
                need(where_f, r["name"], r.get("passwordKey", "password"), m["password"],
                     "RabbitMQ password")

            agent_env(where_f, spec, queue, ep, need)

            leases = spec["leases"]
            # No agent runs here (the pods are kwok's), so no lease is ever
            # held; a long lease keeps the operator from rightly replacing the
            # Ready but lease-less pods as stuck (after 3 lease durations)
            # while the test looks at them.
            leases["leaseDurationSeconds"] = ep["leaseDurationSeconds"]
            if set(leases) - {"redis", "postgres", "leaseDurationSeconds"}:
                fail(f"{where_f}: unknown lease store {sorted(leases)}")
            if "redis" in leases:
                store = leases["redis"]
                store["url"] = ep["redis"]["url"]
                store["keyPrefix"] = run + ":" + store.get("keyPrefix", "agentfleet:")
                entry["leases"] = {"kind": "redis", "keyPrefix": store["keyPrefix"]}
                if "passwordSecretRef" in store:
                    r = store["passwordSecretRef"]
                    need(where_f, r["name"], r["key"], ep["redis"]["password"], "Redis password")
            elif "postgres" in leases:
                store = leases["postgres"]
                store["url"] = ep["postgres"]["url"]
                entry["leases"] = {"kind": "postgres"}
                if "passwordSecretRef" in store:
                    r = store["passwordSecretRef"]
                    need(where_f, r["name"], r["key"], ep["postgres"]["password"],
                         "PostgreSQL password")
            else:
                fail(f"{where_f}: no lease store")
            plan.append(entry)

    provided = set()
    for path, items in docs.items():
        for d in items:
            if d.get("kind") != "Secret":
                continue
            name = d["metadata"]["name"]
            for (secret, key), (value, _) in needed.items():
                if secret != name:
                    continue
                provided.add((secret, key))
                # stringData wins over data for one key: write where it is read.
                if key in d.get("data", {}) and key not in d.get("stringData", {}):
                    d["data"][key] = base64.b64encode(value.encode()).decode()
                else:
                    d.setdefault("stringData", {})[key] = value
    for (secret, key), (_, what) in sorted(needed.items()):
        if (secret, key) not in provided:
            fail(f"a fleet needs Secret {secret} key {key} ({what}), which no example provides")

    os.makedirs(out_dir, exist_ok=True)
    for path, items in docs.items():
        with open(os.path.join(out_dir, os.path.basename(path)), "w") as f:
            yaml.safe_dump_all(items, f, sort_keys=False)
    json.dump(plan, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
