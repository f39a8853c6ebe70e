#!/usr/bin/env python3
"""The scenario of `make demo`, run against a fleet that scripts/demo.sh set up.

Waits for the fleet to hold every shard, pushes a burst of pricing tasks into
the fleet's Redis streams, prints a live timeline (queue depth, desired and
ready replicas, shards moving) through scale-up, drain and scale-down, and ends
with a summary; --timeline writes the samples as CSV for scripts/demo_plot.py.
All along it samples the lease table and checks the protocol's
invariants: one token never has two holders and a shard's token never goes
down (two valid holders of one shard cannot even be written in the Redis
table: one hash field per shard). Exit code 0 when the fleet scaled up and back
down, every task was priced and no invariant broke; 1 otherwise.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time

import redis


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) % 2**64
    return h


def shard_of(product: str, shards: int) -> int:
    return fnv1a64(product.encode("utf-8")) % shards


class LeaseSampler(threading.Thread):
    """Reads the fleet's lease hash (with the server's TIME, in one MULTI)."""

    def __init__(self, client, key):
        super().__init__(daemon=True)
        self.client, self.key = client, key
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.snapshots = 0
        self.handoffs = 0
        self.violations = []
        self.last_token = {}
        self.token_holder = {}
        self.last_holder = {}

    def run(self):
        while not self.stop.is_set():
            try:
                pipe = self.client.pipeline(transaction=True)
                pipe.time()
                pipe.hgetall(self.key)
                (secs, micros), table = pipe.execute()
            except redis.RedisError:
                time.sleep(0.2)
                continue
            now_ms = secs * 1000 + micros // 1000
            with self.lock:
                self.observe(now_ms, table)
            time.sleep(0.02)

    def observe(self, now_ms, table):
        self.snapshots += 1
        for field, value in table.items():
            shard = int(field)
            token_s, expiry_s, holder = value.decode().split(" ", 2)
            token, expiry = int(token_s), int(expiry_s)
            if token < self.last_token.get(shard, 0):
                self.violations.append(f"shard {shard}: token went down to {token}")
            self.last_token[shard] = token
            if holder and expiry > now_ms:
                seen = self.token_holder.setdefault((shard, token), holder)
                if seen != holder:
                    self.violations.append(f"shard {shard}: token {token} held by {seen} and {holder}")
                previous = self.last_holder.get(shard)
                if previous is not None and previous != holder:
                    self.handoffs += 1
                self.last_holder[shard] = holder


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kubectl", required=True)
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--fleet", default="pricing")
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--redis-user", required=True)
    ap.add_argument("--prefix", required=True, help="the fleet's Redis key prefix")
    ap.add_argument("--tasks", type=int, default=6000)
    ap.add_argument("--timeout", type=int, default=600, help="seconds for the whole scenario")
    ap.add_argument("--timeline", help="write the printed samples here as CSV")
    args = ap.parse_args()
    password = os.environ["AGENTFLEET_DEMO_REDIS_PASSWORD"]  # never a flag: ps would show it

    r = redis.Redis(host="127.0.0.1", port=args.redis_port, username=args.redis_user,
                    password=password)
    fleet_id = f"{args.namespace}/{args.fleet}"  # the fleet's identity in the lease table
    sampler = LeaseSampler(r, f"{args.prefix}lease:{{{fleet_id}}}")
    sampler.start()
    start = time.monotonic()
    deadline = start + args.timeout

    def fleet():
        out = subprocess.run([args.kubectl, "-n", args.namespace, "get", "paf", args.fleet,
                              "-o", "json"], capture_output=True, text=True)
        return json.loads(out.stdout) if out.returncode == 0 else None

    def pods():
        out = subprocess.run([args.kubectl, "-n", args.namespace, "get", "pods", "-l",
                              f"agentfleet.io/fleet={args.fleet}", "-o",
                              "jsonpath={.items[*].metadata.name}"], capture_output=True, text=True)
        return set(out.stdout.split())

    samples = []

    def row(f, note="", priced=None):
        st = (f or {}).get("status", {})
        sh = st.get("shards", {})
        t = time.monotonic() - start
        samples.append({"seconds": round(t, 1), "queue_depth": st.get("queueDepth", ""),
                        "desired": st.get("desiredReplicas", ""),
                        "ready": st.get("readyReplicas", ""), "moving": sh.get("moving", ""),
                        "held": sh.get("held", ""), "unowned": sh.get("unowned", ""),
                        "shards": sh.get("total", ""),
                        "priced": "" if priced is None else priced})
        print(f"{t:7.1f}s  depth {st.get('queueDepth', '-'):>6}  desired {st.get('desiredReplicas', '-'):>2}"
              f"  ready {st.get('readyReplicas', '-'):>2}  moving {sh.get('moving', '-'):>3}"
              f"  held {sh.get('held', '-'):>3}/{sh.get('total', '-')}  {note}", flush=True)

    def settled(f, replicas):
        st = (f or {}).get("status", {})
        sh = st.get("shards", {})
        return (st.get("replicas") == replicas and st.get("readyReplicas") == replicas
                and sh.get("held") == sh.get("total") and sh.get("moving") == 0)

    f = fleet()
    if f is None:
        print(f"demo: fleet {args.fleet} not found", file=sys.stderr)
        return 1
    shards = f["spec"]["shards"]
    minimum = f["spec"]["autoscaling"]["minReplicas"]
    queue = f["spec"]["queue"]["redisStreams"]
    print(f"\n{'time':>8}  fleet {args.namespace}/{args.fleet}: {shards} shards, "
          f"{minimum}..{f['spec']['autoscaling']['maxReplicas']} agents, "
          f"target {f['spec']['autoscaling']['targetQueueDepthPerAgent']} tasks per agent")
    while not settled(f, minimum):
        if time.monotonic() > deadline:
            print("demo: the fleet did not settle at its minimum", file=sys.stderr)
            return 1
        row(f, "waiting for the agents to hold every shard")
        time.sleep(1)
        f = fleet()
    row(f, "settled")

    before = pods()
    pipe = r.pipeline(transaction=False)
    for i in range(args.tasks):
        product = f"sku-{i:06d}"
        s = shard_of(product, shards)
        pipe.xadd(f"{queue['keyPrefix']}:{s}",
                  {"task": f"demo-{i}", "product": product, "price": str(1000 + i % 9000)})
    pipe.execute()
    burst = time.monotonic()
    row(fleet(), f"pushed {args.tasks} tasks")

    first_new = None
    peak = 0
    scaled_up = False
    results_key = f"{args.prefix}results:{{{fleet_id}}}:prices"
    while True:
        time.sleep(1)
        f = fleet()
        st = (f or {}).get("status", {})
        peak = max(peak, st.get("readyReplicas", 0) or 0)
        if first_new is None and pods() - before:
            first_new = time.monotonic() - burst
        priced = r.hlen(results_key)
        note = f"priced {priced}/{args.tasks}"
        if peak > minimum:
            scaled_up = True
        row(f, note, priced)
        if scaled_up and priced >= args.tasks and st.get("queueDepth") == 0 and settled(f, minimum):
            break
        if time.monotonic() > deadline:
            print("demo: timed out before the fleet drained and scaled back down", file=sys.stderr)
            break

    sampler.stop.set()
    sampler.join()
    priced = r.hlen(results_key)
    if args.timeline:
        with open(args.timeline, "w", newline="") as out:
            w = csv.DictWriter(out, fieldnames=list(samples[0].keys()))
            w.writeheader()
            w.writerows(samples)
    ok = scaled_up and priced >= args.tasks and not sampler.violations and settled(fleet(), minimum)
    print("\nsummary")
    print(f"  peak ready replicas           {peak}")
    print(f"  burst to first new pod        " +
          (f"{first_new:.1f} s" if first_new is not None else "no new pod"))
    print(f"  tasks pushed / priced         {args.tasks} / {priced}")
    print(f"  lease hand-offs observed      {sampler.handoffs} ({sampler.snapshots} lease-table samples)")
    print(f"  double-holder violations      {len(sampler.violations)}")
    for v in sampler.violations[:10]:
        print(f"    {v}")
    print(f"  result                        {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
