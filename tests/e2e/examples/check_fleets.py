#!/usr/bin/env python3
"""Whether the example fleets have reconciled.

    check_fleets.py PLAN.json DEPTH FLEETS.json PODS.json

PLAN.json is rewrite_examples.py's plan; DEPTH the number of tasks the test
put into every fleet's queue; FLEETS.json and PODS.json the outputs of
`kubectl get pricingagentfleets -o json` and `kubectl get pods -l
agentfleet.io/fleet -o json` in the test's namespace.

For each fleet of the plan: its status reflects the current generation; the
queue depth read is DEPTH (the source was reached); no Degraded=True condition
(neither source failed); the desired count is the plan's and that many pods
exist whose agentfleet.io/shards annotations cover every shard exactly once;
the lease-cleanup finalizer is on. Prints one line per problem ("fleet: ...")
and exits 1 when there is any, 0 (silently) when all hold.
"""
import json
import sys


def parse_ranges(text, shards):
    """'0-3,7' -> [0, 1, 2, 3, 7]; raises ValueError on a malformed list."""
    out = []
    if text == "":
        return out
    for part in text.split(","):
        lo, sep, hi = part.partition("-")
        a = int(lo)
        b = int(hi) if sep else a
        if a > b or b >= shards or a < 0:
            raise ValueError(f"range {part!r} outside 0..{shards - 1}")
        out.extend(range(a, b + 1))
    return out


def check(entry, depth, fleet, pods):
    name = entry["name"]
    problems = []
    if fleet is None:
        return [f"{name}: the fleet does not exist"]
    meta = fleet["metadata"]
    status = fleet.get("status")
    if not status:
        return [f"{name}: no status written yet"]
    if status.get("observedGeneration") != meta.get("generation"):
        problems.append(f"{name}: status.observedGeneration {status.get('observedGeneration')} "
                        f"!= metadata.generation {meta.get('generation')}")
    conditions = {c["type"]: c for c in status.get("conditions", [])}
    for t in ("Ready", "Progressing", "Degraded", "ScalingLimited"):
        if t not in conditions:
            problems.append(f"{name}: no {t} condition")
    degraded = conditions.get("Degraded")
    if degraded and degraded.get("status") != "False":
        problems.append(f"{name}: Degraded={degraded.get('status')} "
                        f"({degraded.get('reason')}: {degraded.get('message')})")
    if status.get("queueDepth") != depth:
        problems.append(f"{name}: status.queueDepth is {status.get('queueDepth')}, "
                        f"the queue holds {depth}")
    if status.get("desiredReplicas") != entry["replicas"]:
        problems.append(f"{name}: status.desiredReplicas is {status.get('desiredReplicas')}, "
                        f"expected {entry['replicas']}")
    if "agentfleet.io/lease-cleanup" not in meta.get("finalizers", []):
        problems.append(f"{name}: no agentfleet.io/lease-cleanup finalizer")

    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if len(live) != entry["replicas"]:
        problems.append(f"{name}: {len(live)} pods, expected {entry['replicas']}")
    shards = entry["shards"]
    owners = {}
    for p in live:
        pod = p["metadata"]["name"]
        text = p["metadata"].get("annotations", {}).get("agentfleet.io/shards")
        if text is None:
            problems.append(f"{name}: pod {pod} has no agentfleet.io/shards annotation")
            continue
        try:
            for s in parse_ranges(text, shards):
                owners.setdefault(s, []).append(pod)
        except ValueError as e:
            problems.append(f"{name}: pod {pod}: bad agentfleet.io/shards {text!r}: {e}")
    if live:
        missing = [s for s in range(shards) if s not in owners]
        twice = {s: o for s, o in owners.items() if len(o) > 1}
        if missing:
            problems.append(f"{name}: {len(missing)} of {shards} shards assigned to no pod "
                            f"(first: {missing[:8]})")
        if twice:
            first = sorted(twice)[:4]
            problems.append(f"{name}: shards assigned twice: " +
                            ", ".join(f"{s} -> {twice[s]}" for s in first))
    return problems


def main():
    if len(sys.argv) != 5:
        print("usage: check_fleets.py PLAN.json DEPTH FLEETS.json PODS.json", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    depth = int(sys.argv[2])
    with open(sys.argv[3]) as f:
        fleets = {i["metadata"]["name"]: i for i in json.load(f)["items"]}
    with open(sys.argv[4]) as f:
        pods = json.load(f)["items"]
    problems = []
    for entry in plan:
        mine = [p for p in pods
                if p["metadata"].get("labels", {}).get("agentfleet.io/fleet") == entry["name"]]
        problems += check(entry, depth, fleets.get(entry["name"]), mine)
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
