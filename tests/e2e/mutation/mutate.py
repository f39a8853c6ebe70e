#!/usr/bin/env python3
"""The mutation run: random mutations of valid fleets against the real API
server and a running agentfleet-controller (mutation_test.sh sets both up).

    mutate.py API NAMESPACE REWRITTEN_DIR SECRETS_FILE REPORT.json

API is a `kubectl proxy` address; REWRITTEN_DIR holds the example manifests
pointed at the fixture servers (rewrite_examples.py), whose fleets are the
valid bases; SECRETS_FILE lists, one per line, the credentials that must never
appear in an answer, a status or an event. Environment:
AGENTFLEET_MUTATION_SEED (default: random, printed), AGENTFLEET_MUTATIONS
(how many mutants get a server-side dry run, default 400) and
AGENTFLEET_MUTATIONS_APPLIED (how many of the admitted ones are then created
for real, default 60).

  1. Dry run: every mutant is sent as `kubectl apply --dry-run=server
     --validate=strict` would. A refusal must be a 400 or 422 whose message
     names the field (or a field beside it) and quotes no credential; no 5xx.
  2. For real: admitted mutants, and the targeted ones below, are created in
     NAMESPACE, where the controller runs. Each must end, for its generation,
     either usable (Degraded=False, its pods created) or with a condition that
     says what is wrong: Degraded=True or Ready=False InvalidSpec, with a
     specific message (it names a field, a Secret, a server or an error the
     server sent; not a generic word). Targeted mutations are known to break a
     fleet (a dead port, a missing Secret, a wrong password, a missing key):
     each must end unusable, with the message naming what broke.
  3. Live fleets: one running fleet per queue backend, with its pods, gets the
     targeted mutations as updates; its pods must survive every one (a bad
     spec or source never deletes pods), and a revert makes it usable again.
Exits 1 listing every violation; prints a summary either way.
"""
import copy
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

GROUP = "/apis/agentfleet.io/v1alpha1"
GENERIC = {"", "error", "unknown error", "internal error", "failed", "invalid", "bad request"}


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, {"message": raw.decode(errors="replace")}

    def fleets(self, ns):
        return f"{GROUP}/namespaces/{ns}/pricingagentfleets"


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- the mutations -----------------------------------------------------------

def paths(node, prefix=()):
    """Every path under node: (path, value), objects and lists included."""
    out = [(prefix, node)]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, prefix + (i,))
    return out


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def put(doc, path, value):
    get(doc, path[:-1])[path[-1]] = value


def delete(doc, path):
    parent = get(doc, path[:-1])
    if isinstance(parent, list):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])


ODD_VALUES = [None, True, False, 0, -1, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 1.5,
              -0.5, 1e308, "", " ", "0", "-1", "1e309", "true", "null", "a" * 300, "b" * 5000,
              "ünïcødé ☃", "tab\there", "nul\u0000byte", "new\nline", "$(id)", "../../etc/passwd",
              {}, [], {"x": 1}, [1, "two", None]]
URL_KEYS = ("url", "endpoint", "managementURL", "queueURL")


def url_mutations(v, dead_port):
    if "://" not in v:
        return []
    scheme, rest = v.split("://", 1)
    hostport, _, tail = rest.partition("/")
    userinfo = ""
    if "@" in hostport:
        userinfo, hostport = hostport.rsplit("@", 1)
        userinfo += "@"
    return [
        f"{scheme}://{userinfo}127.0.0.1:{dead_port}/{tail}",
        f"{scheme}://{userinfo}no-such-host.invalid/{tail}",
        f"{scheme}://{userinfo}127.0.0.1:0/{tail}",
        f"{scheme}://{userinfo}127.0.0.1:65536/{tail}",
        f"{scheme}://{userinfo}[::1/{tail}",
        f"{scheme}://user:planted-s3cret@{hostport}/{tail}",
        f"{scheme}://{userinfo}{hostport}/{tail}?sslmode=disable&connect_timeout=0",
        f"{scheme}://{userinfo}{hostport}/%zz{tail}",
        f"{scheme}://{userinfo}{hostport}/99999",
        f"{'https' if scheme == 'http' else 'http'}://{userinfo}{hostport}/{tail}",
        f"ftp://{rest}", f"{scheme}:/{rest}", f"{scheme}://", rest,
    ]


def mutate(rng, doc, bases, dead_port):
    """One random mutation of doc (in place); returns its description."""
    candidates = [p for p in paths(doc["spec"], ("spec",)) if p[0] != ("spec",)]
    candidates += [(("metadata", "name"), doc["metadata"]["name"])]
    candidates += [(("metadata", "labels"), doc["metadata"].get("labels", {}))]
    path, value = rng.choice(candidates)
    name = ".".join(str(p) for p in path)
    kind = rng.random()
    if kind < 0.15:
        delete(doc, path)
        return path, f"delete {name}"
    if kind < 0.40:
        v = copy.deepcopy(rng.choice(ODD_VALUES))
        put(doc, path, v)
        return path, f"set {name} = {json.dumps(v)[:40]}"
    if isinstance(value, bool):
        put(doc, path, not value)
        return path, f"flip {name}"
    if isinstance(value, int):
        v = rng.choice([value + 1, value - 1, 0, -value, value * 1000, 65536, 65537, 2**31 - 1])
        put(doc, path, v)
        return path, f"set {name} = {v}"
    if isinstance(value, str):
        options = [
            "", value[: len(value) // 2], value + "x", " " + value, value.upper(),
            value + "\u0000", "ü" + value, value.replace("1", "9"), value * 50,
            "missing-secret" if path[-1] == "name" else value + "-missing",
        ]
        if path[-1] in URL_KEYS:
            options += url_mutations(value, dead_port) * 2
        v = rng.choice(options)
        put(doc, path, v)
        return path, f"set {name} = {json.dumps(v)[:60]}"
    if isinstance(value, dict):
        op = rng.randrange(4)
        if op == 0:
            put(doc, path, {})
            return path, f"empty {name}"
        if op == 1:
            value["unknownField"] = rng.choice(ODD_VALUES[:6])
            return path + ("unknownField",), f"add {name}.unknownField"
        # Graft a sibling subtree from another valid fleet (a queue or lease
        # store of another backend, two backends at once).
        other = rng.choice(bases)
        if path in (("spec", "queue"), ("spec", "leases")) and op == 2:
            value.update(copy.deepcopy(get(other, path)))
            return path, f"merge {name} with {other['metadata']['name']}'s"
        try:
            put(doc, path, copy.deepcopy(get(other, path)))
            return path, f"graft {name} from {other['metadata']['name']}"
        except (KeyError, IndexError, TypeError):
            put(doc, path, {})
            return path, f"empty {name}"
    if isinstance(value, list):
        op = rng.randrange(3)
        if op == 0 or not value:
            put(doc, path, [])
            return path, f"empty {name}"
        if op == 1:
            value.append(copy.deepcopy(value[0]))
            return path, f"duplicate {name}[0]"
        value.append(rng.choice(ODD_VALUES))
        return path, f"append junk to {name}"
    put(doc, path, "x")
    return path, f"set {name} = \"x\""


def targeted(base, dead_port):
    """Mutations known to make a fleet unusable: (description, doc, hint) where
    hint is a list of strings one of which the condition's message must hold."""
    out = []
    spec = base["spec"]
    for side in ("queue", "leases"):
        for backend, cfg in spec[side].items():
            if not isinstance(cfg, dict):
                continue
            for key in URL_KEYS:
                if key in cfg and key != "queueURL" and "://" in cfg[key]:
                    d = copy.deepcopy(base)
                    url = cfg[key]
                    scheme, rest = url.split("://", 1)
                    hostport, _, tail = rest.partition("/")
                    user = hostport.rsplit("@", 1)[0] + "@" if "@" in hostport else ""
                    d["spec"][side][backend][key] = f"{scheme}://{user}127.0.0.1:{dead_port}/{tail}"
                    out.append((f"{side}.{backend}.{key} on a closed port", d,
                                [str(dead_port), "refused", "connect"]))
            for ref_key in ("passwordSecretRef", "credentialsSecretRef"):
                if ref_key not in cfg:
                    continue
                d = copy.deepcopy(base)
                d["spec"][side][backend][ref_key]["name"] = "mutation-missing"
                out.append((f"{side}.{backend}.{ref_key} names a missing Secret", d,
                            ["mutation-missing"]))
                d = copy.deepcopy(base)
                d["spec"][side][backend][ref_key]["name"] = "mutation-wrong"
                out.append((f"{side}.{backend}.{ref_key} holds wrong credentials", d,
                            ["denied", "auth", "password", "WRONGPASS", "401", "403",
                             "signature", "credential", "rejected", "not authorized", "InvalidClientTokenId"]))
                if "key" in cfg[ref_key]:
                    d = copy.deepcopy(base)
                    d["spec"][side][backend][ref_key]["key"] = "no-such-key"
                    out.append((f"{side}.{backend}.{ref_key} names a missing key", d,
                                ["no-such-key"]))
    return out


# --- what the operator says ---------------------------------------------------

def condition(fleet, ctype):
    for c in fleet.get("status", {}).get("conditions", []):
        if c.get("type") == ctype:
            return c
    return None


def verdict(fleet):
    """(state, reason, message) for the fleet's current generation, or None
    while the operator has not written it: state is usable or unusable."""
    st = fleet.get("status", {})
    if st.get("observedGeneration") != fleet["metadata"].get("generation"):
        return None
    ready = condition(fleet, "Ready")
    if ready and ready.get("status") == "False" and ready.get("reason") in (
            "InvalidSpec", "InsecureCredentialTransport"):
        return "unusable", ready["reason"], ready.get("message", "")
    degraded = condition(fleet, "Degraded")
    if degraded and degraded.get("status") == "True":
        return "unusable", degraded.get("reason", ""), degraded.get("message", "")
    if degraded and degraded.get("status") == "False" and st.get("replicas", 0) >= min(
            st.get("desiredReplicas", 0), 1):
        return "usable", degraded.get("reason", ""), degraded.get("message", "")
    return None


def specific(message, secrets):
    m = message.strip()
    problems = []
    if m.lower() in GENERIC or len(m) < 20:
        problems.append("too generic")
    for bad in ("std::", "what():", "terminate called", "basic_string", "nlohmann"):
        if bad in m:
            problems.append(f"leaks the implementation ({bad})")
    for s in secrets:
        if s and s in m:
            problems.append("quotes a credential")
    return problems


def field_named(message, path):
    words = [str(p) for p in path if not isinstance(p, int) and p not in ("spec", "metadata")]
    return not words or any(w in message for w in words)


# --- the run ------------------------------------------------------------------

def main():
    api_base, ns, rewritten, secrets_file, report_path = sys.argv[1:6]
    api = Api(api_base)
    secrets = [s for s in open(secrets_file).read().split("\n") if s]
    secrets.append("planted-s3cret")
    seed = int(os.environ.get("AGENTFLEET_MUTATION_SEED") or random.randrange(2**32))
    count = int(os.environ.get("AGENTFLEET_MUTATIONS", "400"))
    applied_max = int(os.environ.get("AGENTFLEET_MUTATIONS_APPLIED", "60"))
    print(f"mutation run: seed {seed} (AGENTFLEET_MUTATION_SEED={seed} repeats it), "
          f"{count} mutants", flush=True)
    rng = random.Random(seed)
    dead_port = closed_port()
    violations = []

    docs = []
    for f in sorted(os.listdir(rewritten)):
        with open(os.path.join(rewritten, f)) as fh:
            docs += [d for d in yaml.safe_load_all(fh) if d]
    bases = [d for d in docs if d["kind"] == "PricingAgentFleet"]
    for d in docs:
        d.setdefault("metadata", {})["namespace"] = ns
        d["metadata"].pop("resourceVersion", None)
    # The Secrets the bases need, a copy of each with wrong values, and the
    # fleets' pods capped by a quota (a mutant may ask for 65536 agents).
    for d in docs:
        if d["kind"] != "Secret":
            continue
        code, body = api.call("POST", f"/api/v1/namespaces/{ns}/secrets", d)
        if code >= 300:
            sys.exit(f"cannot create Secret {d['metadata']['name']}: {body.get('message')}")
        wrong = copy.deepcopy(d)
        wrong["metadata"]["name"] = "mutation-wrong"
        for k in wrong.get("stringData", {}):
            wrong["stringData"][k] = "wrong-" + k
        for k in wrong.get("data", {}):
            wrong["data"][k] = "d3Jvbmc="
        api.call("POST", f"/api/v1/namespaces/{ns}/secrets", wrong)

    # --- 1: the dry run ---------------------------------------------------------
    admitted, refused, by_op = [], 0, {}
    seen = set()
    for i in range(count):
        base = rng.choice(bases)
        doc = copy.deepcopy(base)
        doc["metadata"]["name"] = f"m{i}"
        steps = 1 if rng.random() < 0.7 else rng.randrange(2, 4)
        described = []
        for _ in range(steps):
            try:
                path, what = mutate(rng, doc, bases, dead_port)
            except (KeyError, IndexError, TypeError):
                continue  # the path went away with an earlier step
            described.append((path, what))
        if not described:
            continue
        key = json.dumps(doc, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        what = "; ".join(w for _, w in described)
        op = described[0][1].split(" ")[0]
        code, body = api.call("POST", api.fleets(ns) + "?dryRun=All&fieldValidation=Strict", doc)
        counts = by_op.setdefault(op, [0, 0])
        message = body.get("message", "")
        if code in (200, 201):
            counts[0] += 1
            admitted.append((what, doc))
            continue
        counts[1] += 1
        refused += 1
        if code not in (400, 422):
            violations.append(f"dry run of [{what}] ({base['metadata']['name']}): HTTP {code}: {message[:300]}")
            continue
        problems = [p for p in specific(message, secrets) if p != "too generic" or len(message) < 10]
        if not any(field_named(message, p) for p, _ in described):
            problems.append("names no field it was about")
        if problems:
            violations.append(f"dry run of [{what}] ({base['metadata']['name']}) refused with "
                              f"{', '.join(problems)}: {message[:300]}")
    print(f"dry run: {len(seen)} distinct mutants, {len(admitted)} admitted, {refused} refused")
    for op, (a, r) in sorted(by_op.items()):
        print(f"  {op:10} admitted {a:4}  refused {r:4}")

    # --- 3 begins: the live fleets run before the mutants take the quota ---------
    live_results = []
    live = start_live(api, ns, bases, live_results)

    # --- 2: for real -------------------------------------------------------------
    rng.shuffle(admitted)
    runs = [(w, d, None) for w, d in admitted[:applied_max]]
    for base in bases:
        for what, d, hint in targeted(base, dead_port):
            runs.append((f"{base['metadata']['name']}: {what}", d, hint))
    created = []
    for i, (what, doc, hint) in enumerate(runs):
        doc = copy.deepcopy(doc)
        doc["metadata"]["name"] = f"run-{i}"
        code, body = api.call("POST", api.fleets(ns) + "?fieldValidation=Strict", doc)
        if code not in (200, 201):
            # Admitted by the dry run, refused now: the only difference is the name.
            violations.append(f"[{what}] admitted by the dry run, refused when created: HTTP {code}: "
                              f"{body.get('message', '')[:300]}")
            continue
        created.append((doc["metadata"]["name"], what, hint))
    print(f"created {len(created)} fleets ({len(runs) - applied_max if len(runs) > applied_max else 0} "
          f"targeted) in namespace {ns}", flush=True)

    live_threads = [threading.Thread(target=live_one, args=(api, ns, base, name, dead_port, secrets,
                                                            live_results))
                    for base, name in live]
    for t in live_threads:
        t.start()

    outcome = {}
    deadline = time.time() + 120
    while time.time() < deadline:
        code, body = api.call("GET", api.fleets(ns))
        items = {f["metadata"]["name"]: f for f in body.get("items", [])} if code == 200 else {}
        for name, what, hint in created:
            f = items.get(name)
            v = verdict(f) if f else None
            # A targeted mutation is judged once its fault shows; a random one
            # as soon as the operator has said something for its generation.
            if v and (hint is None or v[0] == "unusable"):
                outcome[name] = v
        if len(outcome) == len(created):
            break
        time.sleep(2)
    # Settled: one more look, so that a fleet first reported usable and then
    # found broken is judged on what it says now.
    time.sleep(6)
    code, body = api.call("GET", api.fleets(ns))
    items = {f["metadata"]["name"]: f for f in body.get("items", [])} if code == 200 else {}
    summary = {}
    for name, what, hint in created:
        f = items.get(name)
        v = (verdict(f) if f else None) or outcome.get(name)
        if v is None:
            st = json.dumps(f.get("status", {}) if f else {})[:300]
            violations.append(f"{name} [{what}]: admitted, but no condition says for its generation "
                              f"whether it works within 120 s; status: {st}")
            continue
        state, reason, message = v
        summary.setdefault((state, reason), []).append((name, what, message))
        if state == "unusable":
            problems = specific(message, secrets)
            if hint is not None and not any(h.lower() in message.lower() for h in hint):
                problems.append(f"does not name what broke (one of {hint})")
            if problems:
                violations.append(f"{name} [{what}]: {reason}: {', '.join(problems)}: {message[:300]}")
        elif hint is not None:
            violations.append(f"{name} [{what}]: broken on purpose, yet reported usable ({reason}: {message[:200]})")

    for t in live_threads:
        t.join()
    violations += live_results

    print("outcomes of the fleets created for real:")
    for (state, reason), entries in sorted(summary.items()):
        print(f"  {state:8} {reason:34} {len(entries):3}   e.g. [{entries[0][1][:70]}]: {entries[0][2][:140]}")
    for s in secrets:
        code, body = api.call("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events")
        if s in json.dumps(body) or s in json.dumps(items):
            violations.append("a credential appears in an event or a fleet's status")
            break

    with open(report_path, "w") as fh:
        json.dump({"seed": seed, "dry_run": {"distinct": len(seen), "admitted": len(admitted),
                                             "refused": refused, "by_op": by_op},
                   "outcomes": {f"{s}/{r}": [(n, w, m) for n, w, m in e] for (s, r), e in summary.items()},
                   "violations": violations}, fh, indent=1)
    if violations:
        print(f"\n{len(violations)} violations (seed {seed}):")
        for v in violations:
            print("  - " + v)
        sys.exit(1)
    print(f"no violation (seed {seed})")


def fleet_wait(api, ns, name, pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        code, f = api.call("GET", api.fleets(ns) + "/" + name)
        if code == 200 and pred(f):
            return f
        time.sleep(1)
    return None


def usable(f):
    return (verdict(f) or ("",))[0] == "usable" and f["status"].get("replicas", 0) >= 1


def start_live(api, ns, bases, out):
    """One valid fleet per base, created and running (usable, its pods there)."""
    live = []
    for i, base in enumerate(bases):
        doc = copy.deepcopy(base)
        doc["metadata"]["name"] = f"live-{i}"
        code, body = api.call("POST", api.fleets(ns), doc)
        if code not in (200, 201):
            out.append(f"live-{i}: the valid fleet {base['metadata']['name']} is refused: {body.get('message')}")
            continue
        live.append((base, f"live-{i}"))
    running = []
    for base, name in live:
        if fleet_wait(api, ns, name, usable, 90):
            running.append((base, name))
        else:
            code, f = api.call("GET", api.fleets(ns) + "/" + name)
            out.append(f"{name} ({base['metadata']['name']}): the valid fleet never became usable: "
                       f"{json.dumps(f.get('status', {}))[:400]}")
    return running


def live_one(api, ns, base, name, dead_port, secrets, out):
    """The targeted mutations, one after another, as updates of a running fleet."""
    def pods():
        code, body = api.call("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector=agentfleet.io/fleet={name}")
        return {p["metadata"]["uid"]: p for p in body.get("items", [])} if code == 200 else {}

    def wait(pred, seconds):
        return fleet_wait(api, ns, name, pred, seconds)

    def put_spec(spec):
        # The operator writes the fleet's status between a GET and a PUT: the
        # PUT is then refused with 409 Conflict, and a user (kubectl edit, a
        # GitOps controller) reads again and retries, as here.
        for _ in range(10):
            code, f = api.call("GET", api.fleets(ns) + "/" + name)
            if code != 200:
                return code, f
            f["spec"] = spec
            code, body = api.call("PUT", api.fleets(ns) + "/" + name, f)
            if code != 409:
                return code, body
        return code, body

    checked = 0

    for what, mutant, hint in targeted(base, dead_port):
        before = {u for u, p in pods().items() if "deletionTimestamp" not in p["metadata"]}
        code, f = api.call("GET", api.fleets(ns) + "/" + name)
        good_spec = f["spec"]
        code, body = put_spec(mutant["spec"])
        if code != 200:
            out.append(f"{name} [{what}]: update refused: {body.get('message', '')[:200]}")
            continue
        gen = body["metadata"]["generation"]
        broken = wait(lambda f: f["status"].get("observedGeneration") == gen and
                      (verdict(f) or ("",))[0] == "unusable", 60)
        after = pods()
        gone = [u for u in before if u not in after or "deletionTimestamp" in after[u]["metadata"]]
        if broken is None:
            out.append(f"{name} [{what}] as an update: no condition said what broke within 60 s")
        else:
            _, reason, message = verdict(broken)
            if not any(h.lower() in message.lower() for h in hint) or specific(message, secrets):
                out.append(f"{name} [{what}] as an update: {reason}: message does not say what broke: {message[:200]}")
        if gone:
            out.append(f"{name} [{what}] as an update: {len(gone)} of its {len(before)} pods deleted "
                       f"because of a bad spec or source")
        checked += 1
        code, body = put_spec(good_spec)
        if code != 200:
            out.append(f"{name} [{what}]: the revert was refused: HTTP {code}: "
                       f"{body.get('message', '')[:200]}")
            return
        gen = body["metadata"]["generation"]
        if not wait(lambda f: f["status"].get("observedGeneration") == gen and usable(f), 60):
            out.append(f"{name} [{what}]: reverted, but not usable again within 60 s")
            return
    print(f"live {name} ({base['metadata']['name']}): {checked} breaking updates, each reported, "
          f"its pods kept, and reverted", flush=True)


if __name__ == "__main__":
    main()
