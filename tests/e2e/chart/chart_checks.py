#!/usr/bin/env python3
"""The structured checks of chart_test.sh, one subcommand each.

Every check prints nothing and exits 0 when it holds, and prints the reason and
exits 1 when it does not, so that the shell script can say `check ... || fail`.
"""
import json
import re
import sys

import yaml

KEEP = "helm.sh/resource-policy"


def die(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)


def diff_paths(a, b, path=""):
    """The first few paths at which two JSON-like values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}.{k}: only in crds/")
            elif k not in b:
                out.append(f"{path}.{k}: only in the chart")
            else:
                out += diff_paths(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items in the chart, {len(b)} in crds/"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff_paths(x, y, f"{path}[{i}]")
        return out
    # YAML reads 1 and 1.0 alike for JSON purposes; compare as JSON would.
    if a != b or type(a) is bool and type(b) is not bool:
        return [f"{path}: {a!r} in the chart, {b!r} in crds/"]
    return []


def crd_equal(rendered_path, source_path):
    """The rendered CRD equals crds/ but for the keep annotation, which it has."""
    docs = [d for d in yaml.safe_load_all(open(rendered_path)) if d]
    if len(docs) != 1:
        die(f"expected one rendered CRD document, got {len(docs)}")
    chart, source = docs[0], load_yaml(source_path)
    annotations = chart.get("metadata", {}).get("annotations") or {}
    if annotations.get(KEEP) != "keep":
        die(f"the rendered CRD lacks the annotation {KEEP}: keep")
    del annotations[KEEP]
    if not annotations:
        chart["metadata"].pop("annotations")
    diffs = diff_paths(chart, source)
    if diffs:
        die("the chart's CRD differs from crds/ (copy crds/agentfleet.io_pricingagentfleets.yaml "
            "to charts/agentfleet/files/crds/):\n  " + "\n  ".join(diffs[:10]))


def schema_closed(schema_path):
    """Every object of the schema with named keys forbids any other key."""
    schema = json.load(open(schema_path))
    problems = []

    def walk(node, path):
        if not isinstance(node, dict):
            return
        if "properties" in node and node.get("additionalProperties") is not False:
            problems.append(f"{path or '(root)'} has properties but not additionalProperties: false")
        if node.get("type") == "object" and "properties" not in node and \
                "additionalProperties" not in node and path not in FREE_OBJECTS:
            problems.append(f"{path} is an object with neither properties nor a value schema")
        for k, v in node.get("properties", {}).items():
            walk(v, f"{path}.{k}" if path else k)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{path}.*")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")
        for key in ("oneOf", "anyOf", "allOf"):
            for i, sub in enumerate(node.get(key, [])):
                walk(sub, f"{path}<{key}{i}>")

    walk(schema, "")
    if problems:
        die("values.schema.json is open where it must be closed:\n  " + "\n  ".join(problems))


# Kubernetes objects the chart passes through verbatim; the API server
# validates them (documented in the schema's description).
FREE_OBJECTS = {
    "global", "affinity.nodeAffinity", "affinity.podAffinity", "affinity.podAntiAffinity",
    "tolerations[]", "topologySpreadConstraints[]", "extraEnv[].valueFrom",
}


def leaf_paths(node, path=""):
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from leaf_paths(v, f"{path}.{k}" if path else k)
    else:
        yield path


# Blocks of Kubernetes fields documented by one comment above the block.
KUBE_BLOCKS = ("resources", "podSecurityContext", "securityContext")


def values_documented(values_path, doc_path):
    """Every value has a comment in values.yaml and a row in docs/helm.md."""
    lines = open(values_path).read().splitlines()
    keys = []  # (line index, indent, name, is_group)
    for i, line in enumerate(lines):
        m = re.match(r"^( *)([A-Za-z][A-Za-z0-9]*):(.*)$", line)
        if m:
            keys.append((i, len(m.group(1)), m.group(2), m.group(3).strip() == ""))
    undocumented = []
    top = None
    for n, (i, indent, name, group) in enumerate(keys):
        if indent == 0:
            top = name
        elif top in KUBE_BLOCKS:
            continue  # covered by the block's comment
        # A group (a key whose value is a block of keys) is a heading; its keys
        # carry the comments. A Kubernetes block is commented as a whole.
        has_children = n + 1 < len(keys) and keys[n + 1][1] > indent
        if group and has_children and name not in KUBE_BLOCKS:
            continue
        j = i - 1
        while j >= 0 and lines[j].strip() == "":
            j -= 1
        if j < 0 or not lines[j].lstrip().startswith("#"):
            undocumented.append(f"line {i + 1}: {lines[i].strip()}")
    if undocumented:
        die("values.yaml has values without a comment above them:\n  " + "\n  ".join(undocumented))

    doc = open(doc_path).read()
    rows = set(re.findall(r"^\| *`([^`]+)` *\|", doc, re.M))
    missing = []
    for p in leaf_paths(load_yaml(values_path)):
        parts = p.split(".")
        if not any(".".join(parts[:n]) in rows for n in range(1, len(parts) + 1)):
            missing.append(p)
    if missing:
        die("docs/helm.md has no table row for: " + ", ".join(missing))


def parse_ranges(text):
    shards = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        shards += range(int(lo), int(hi or lo) + 1)
    return shards


def balanced(pods_json, replicas, shards):
    """REPLICAS pods, each holding SHARDS/REPLICAS shards, every shard once."""
    pods = json.load(open(pods_json))["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    if len(live) != replicas:
        die(f"{len(live)} agent pods, want {replicas}")
    seen = []
    for p in live:
        got = parse_ranges(p["metadata"].get("annotations", {}).get("agentfleet.io/shards", ""))
        if len(got) != shards // replicas:
            die(f"pod {p['metadata']['name']} holds {len(got)} shards, want {shards // replicas}")
        seen += got
    if sorted(seen) != list(range(shards)):
        die(f"shards assigned {sorted(seen)}, want each of 0..{shards - 1} once")


def fleet_status(fleet_json, replicas):
    """The operator wrote the fleet's status for its generation, sources reached."""
    fleet = json.load(open(fleet_json))
    st = fleet.get("status") or {}
    want = {"observedGeneration": fleet["metadata"]["generation"], "desiredReplicas": replicas,
            "readyReplicas": replicas}
    for k, v in want.items():
        if st.get(k) != v:
            die(f"status.{k} is {st.get(k)!r}, want {v!r}")
    conditions = {c["type"]: c for c in st.get("conditions", [])}
    for t in ("Ready", "Progressing", "Degraded"):
        if t not in conditions:
            die(f"status has no {t} condition")
    if conditions["Degraded"]["status"] != "False":
        c = conditions["Degraded"]
        die(f"Degraded={c['status']} ({c.get('reason')}: {c.get('message')})")


def deployment(deploy_json, release_ns, service_account, replicas):
    """The installed Deployment: replicas, leader election, probes, restricted pod."""
    d = json.load(open(deploy_json))
    problems = []

    def want(cond, what):
        if not cond:
            problems.append(what)

    spec = d["spec"]
    pod = spec["template"]["spec"]
    want(spec.get("replicas") == replicas, f"replicas {spec.get('replicas')}, want {replicas}")
    want(pod.get("serviceAccountName") == service_account,
         f"serviceAccountName {pod.get('serviceAccountName')}, want {service_account}")
    (c,) = pod["containers"]
    args = c.get("args", [])
    want("--leader-elect" in args, "no --leader-elect")
    want(f"--leader-election-namespace={release_ns}" in args,
         f"no --leader-election-namespace={release_ns}")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    want(f"--metrics-bind-address=:{ports.get('metrics')}" in args, "metrics port and flag differ")
    want(f"--health-probe-bind-address=:{ports.get('health')}" in args,
         "health port and flag differ")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        got = c.get(probe, {}).get("httpGet", {})
        want(got.get("path") == path and got.get("port") == "health",
             f"{probe} is {got}, want GET {path} on port health")
    env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
           for e in c.get("env", [])}
    want(env.get("POD_NAME") == "metadata.name", "POD_NAME is not from metadata.name")
    want(env.get("POD_NAMESPACE") == "metadata.namespace",
         "POD_NAMESPACE is not from metadata.namespace")
    psc, sc = pod.get("securityContext", {}), c.get("securityContext", {})
    want(psc.get("runAsNonRoot") is True or sc.get("runAsNonRoot") is True, "runAsNonRoot unset")
    want((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
         == "RuntimeDefault", "seccompProfile is not RuntimeDefault")
    want(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
    want(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
    want(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities do not drop ALL")
    want(sc.get("privileged") in (None, False), "privileged")
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    want("/tmp" in mounts and "emptyDir" in vols.get(mounts["/tmp"], {}),
         "no emptyDir mounted at /tmp (the CA files go to /tmp/agentfleet-ca)")
    res = c.get("resources", {})
    want(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory"),
         "no cpu/memory requests")
    want(res.get("limits", {}).get("memory"), "no memory limit")
    if problems:
        die("the Deployment is not as the chart promises:\n  " + "\n  ".join(problems))


def local_args(deploy_json, metrics_addr, health_addr):
    """The chart's container args, bind addresses moved to loopback ports, one a line."""
    d = json.load(open(deploy_json))
    (c,) = d["spec"]["template"]["spec"]["containers"]
    for a in c.get("args", []):
        if a.startswith("--metrics-bind-address="):
            a = "--metrics-bind-address=" + metrics_addr
        elif a.startswith("--health-probe-bind-address="):
            a = "--health-probe-bind-address=" + health_addr
        print(a)


def fleet_manifest(example, ns, redis_url, prefix):
    """examples/fleet-redis.yaml, pointed at the fixture Redis, 2 replicas x 6 shards."""
    fleet = load_yaml(example)
    fleet["metadata"]["namespace"] = ns
    spec = fleet["spec"]
    spec.pop("autoscaling", None)
    spec["replicas"] = 2
    spec["shards"] = 12
    spec["queue"]["redisStreams"]["url"] = redis_url
    spec["queue"]["redisStreams"]["keyPrefix"] = prefix + ":tasks"
    spec["leases"]["redis"]["url"] = redis_url
    spec["leases"]["redis"]["keyPrefix"] = prefix + ":leases:"
    yaml.safe_dump(fleet, sys.stdout, sort_keys=False)


def secret_manifest(example, ns, password_file):
    """examples/fleet-redis-secret.yaml with the password of the test's ACL user."""
    secret = load_yaml(example)
    secret["metadata"]["namespace"] = ns
    secret["stringData"]["password"] = open(password_file).read().strip()
    yaml.safe_dump(secret, sys.stdout, sort_keys=False)


COMMANDS = {
    "crd-equal": (crd_equal, [str, str]),
    "schema-closed": (schema_closed, [str]),
    "values-documented": (values_documented, [str, str]),
    "balanced": (balanced, [str, int, int]),
    "fleet-status": (fleet_status, [str, int]),
    "deployment": (deployment, [str, str, str, int]),
    "local-args": (local_args, [str, str, str]),
    "fleet-manifest": (fleet_manifest, [str, str, str, str]),
    "secret-manifest": (secret_manifest, [str, str, str]),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ARGS...")
    fn, types = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if len(args) != len(types):
        die(f"{sys.argv[1]} takes {len(types)} arguments")
    fn(*(t(a) for t, a in zip(types, args)))
