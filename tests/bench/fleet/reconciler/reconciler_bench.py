#!/usr/bin/env python3
"""Benchmarks of the shipped agentfleet-controller on the local control plane.

1. Convergence 0 -> N Ready pods (kwok plays the kubelet): the controller is
   started for one namespace with a given client QPS/burst, a manual-mode fleet
   of N replicas is created, and the clock runs from the create request until
   every one of the N pods is Ready and the shard annotations on them cover all
   S shards exactly once, balanced (max - min <= 1). A watch on the pods takes
   the time at the event that completes the picture.
2. Steady state of the converged fleet: over windows of P reconcile passes
   (controller_runtime_reconcile_total), the controller's CPU per pass
   (utime+stime from /proc/PID/stat; the per-thread schedstat sum in ns as a
   finer second reading), API writes per pass (rest_client_requests_total for
   POST/PUT/PATCH/DELETE), API requests of any kind per pass, and the RSS.

  reconciler_bench.py CONTROLLER_BINARY

Environment: KUBECONFIG (the cluster), AGENTFLEET_REDIS_DIR (port in DIR/port).
Knobs (defaults in brackets):
  AGENTFLEET_BENCH_PODS [1000]  AGENTFLEET_BENCH_SHARDS [1000]
  AGENTFLEET_BENCH_QPS  ["default 50:100"]  QPS:BURST settings; "default" passes no flag
  AGENTFLEET_BENCH_RUNS [3]     convergence runs per setting
  AGENTFLEET_BENCH_STEADY_WINDOWS [3]  AGENTFLEET_BENCH_STEADY_PASSES [8]
  AGENTFLEET_BENCH_CONTROLLER_ARGS [""]  more flags for the controller, to compare settings
With the defaults the whole run takes about 10 minutes on 2 shared cores.
The steady state is measured on the fleet of the last convergence run.
The controller runs without leader election, so that the Lease renewals do not
count as writes; everything it starts (namespaces, the controller, the Redis
ACL user) is removed on exit, also on SIGTERM/SIGINT.
"""
import base64
import ctypes
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FLEET_NAME = "pricing"
FLEET_LABEL = "agentfleet.io/fleet"
SHARDS_ANNOTATION = "agentfleet.io/shards"
REDIS_USER = "fleet-reconciler-bench"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env_int(name, default):
    return int(os.environ.get(name, default))


# --------------------------------------------------------------------------
# A small Kubernetes client over the kubeconfig's client certificate.


class Kube:
    def __init__(self, path):
        with open(path) as f:
            cfg = yaml.safe_load(f)
        ctx_name = cfg["current-context"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        self.tmp = tempfile.mkdtemp(prefix="reconciler-bench-")

        def material(entry, key):
            if entry.get(key):
                return entry[key]
            data = entry.get(key + "-data")
            if not data:
                return None
            p = os.path.join(self.tmp, key)
            with open(p, "wb") as out:
                out.write(base64.b64decode(data))
            return p

        url = urllib.parse.urlparse(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.ctx = ssl.create_default_context(cafile=material(cluster, "certificate-authority"))
        cert, key = material(user, "client-certificate"), material(user, "client-key")
        if cert:
            self.ctx.load_cert_chain(cert, key)
        self.token = user.get("token")

    def conn(self, timeout=60):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201, 202)):
        c = self.conn()
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            headers["Content-Type"] = content_type
        try:
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            text = r.read()
        finally:
            c.close()
        try:
            obj = json.loads(text) if text else {}
        except ValueError:  # "404 page not found" before a CRD is served
            obj = {"message": text.decode(errors="replace")[:300]}
        if ok is not None and r.status not in ok:
            raise RuntimeError(f"{method} {path}: HTTP {r.status}: {obj.get('message', text[:300])}")
        return r.status, obj

    def get(self, path):
        return self.request("GET", path, ok=None)

    def watch(self, path, stop):
        """Yields (event type, object) from a watch until stop is set."""
        c = self.conn(timeout=None)  # the server ends it (timeoutSeconds); bookmarks keep it alive
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        if r.status != 200:
            raise RuntimeError(f"watch {path}: HTTP {r.status}")
        try:
            while not stop.is_set():
                line = r.readline()
                if not line:
                    return
                ev = json.loads(line)
                yield ev["type"], ev["object"]
        finally:
            c.close()


# --------------------------------------------------------------------------
# The controller's /metrics and /proc.


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = METRIC_LINE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def total(samples, name, **match):
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in match.items()))


def requests_by_method(samples):
    out = {}
    for n, l, v in samples:
        if n == "rest_client_requests_total":
            out[l.get("method", "?")] = out.get(l.get("method", "?"), 0) + v
    return out


def requests_by_code(samples):
    out = {}
    for n, l, v in samples:
        if n == "rest_client_requests_total":
            k = f"{l.get('method', '?')} {l.get('code', '?')}"
            out[k] = out.get(k, 0) + v
    return out


def latency_ms(a, b):
    """Mean request latency by verb between two scrapes."""
    out = {}
    for n, l, v in b:
        if n == "rest_client_request_duration_seconds_count":
            verb = l.get("verb", "?")
            count = v - total(a, n, verb=verb)
            if count > 0:
                secs = total(b, "rest_client_request_duration_seconds_sum", verb=verb) - \
                    total(a, "rest_client_request_duration_seconds_sum", verb=verb)
                out[verb] = 1000 * secs / count
    return out


def delta(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in sorted(set(a) | set(b)) if b.get(k, 0) - a.get(k, 0)}


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime+stime of the whole process (all threads, living and exited)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_ns(pid):
    """Sum of the living threads' schedstat run time (ns): finer than clock ticks."""
    s = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                s += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return s


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


# --------------------------------------------------------------------------


def parse_ranges(text, shards):
    out = []
    if not text:
        return out
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    if any(s < 0 or s >= shards for s in out):
        raise ValueError(text)
    return out


def follow(kube, base, update, established, stop, until=None):
    """Lists the collection `base` (a path, with or without a query), then
    watches it, calling update(type, object) for each (ADDED for the listed
    ones) and established() once the watch is open, until `stop` (or `until`)
    is set. A 410 voids the run."""
    sep = "&" if "?" in base else "?"
    _, lst = kube.request("GET", base)
    rv = lst["metadata"]["resourceVersion"]
    for p in lst["items"]:
        update("ADDED", p)
    while not stop.is_set():
        url = f"{base}{sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=600&resourceVersion={rv}"
        stream = kube.watch(url, stop)
        established()
        for typ, obj in stream:
            if typ == "ERROR":
                raise RuntimeError(f"watch of {base} expired (410); the run is void")
            rv = obj["metadata"]["resourceVersion"]
            if typ != "BOOKMARK":
                update(typ, obj)
            if until is not None and until.is_set():
                return


def follow_pods(kube, ns, update, established, stop, until=None, selector=FLEET_LABEL):
    """follow() for the fleet's pods in `ns` (all namespaces when None), or
    those `selector` picks."""
    where = f"/namespaces/{ns}" if ns else ""
    follow(kube, f"/api/v1{where}/pods?labelSelector={urllib.parse.quote(selector)}",
           update, established, stop, until)


class ConvergenceWatch(threading.Thread):
    """Watches the fleet's pods; records when all N exist, are Ready, and are
    Ready with a complete, balanced shard assignment."""

    def __init__(self, kube, ns, pods, shards):
        super().__init__(daemon=True)
        self.kube, self.ns, self.n, self.shards = kube, ns, pods, shards
        self.stop = threading.Event()
        self.done = threading.Event()
        self.pods = {}  # name -> (ready, shards annotation)
        self.n_ready = self.n_assigned = 0
        self.t_created = self.t_ready = self.t_converged = self.t_first_assigned = None
        self.events = 0
        self.error = None
        self.ready = threading.Event()  # the watch is established

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the main thread
            self.error = e
            self.done.set()

    def _run(self):
        follow_pods(self.kube, self.ns, self.update, self.ready.set, self.stop, self.done)

    def update(self, typ, pod):
        self.events += 1
        name = pod["metadata"]["name"]
        old = self.pods.pop(name, None)
        if old:  # counters kept incrementally: a check per event stays O(1)
            self.n_ready -= old[0]
            self.n_assigned -= bool(old[0] and old[1])
        if typ != "DELETED":
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in pod.get("status", {}).get("conditions", []))
            ready = ready and "deletionTimestamp" not in pod["metadata"]
            ann = (pod["metadata"].get("annotations") or {}).get(SHARDS_ANNOTATION, "")
            self.pods[name] = (ready, ann)
            self.n_ready += ready
            self.n_assigned += bool(ready and ann)
        now = time.time()
        if self.t_first_assigned is None and self.n_assigned > 0:
            self.t_first_assigned = now
        if len(self.pods) != self.n:
            return
        if self.t_created is None:
            self.t_created = now
        if self.t_ready is None and self.n_ready == self.n:
            self.t_ready = now
        if self.t_converged is None and self.n_assigned == self.n and \
                self.complete([a for _, a in self.pods.values()]):
            self.t_converged = now
            self.done.set()

    def complete(self, annotations):
        seen = set()
        counts = []
        try:
            for a in annotations:
                s = parse_ranges(a, self.shards)
                counts.append(len(s))
                seen.update(s)
        except ValueError:
            return False
        return len(seen) == self.shards == sum(counts) and max(counts) - min(counts) <= 1


# --------------------------------------------------------------------------


class Bench:
    def __init__(self, binary):
        self.binary = binary
        self.kubeconfig = os.environ["KUBECONFIG"]
        self.kube = Kube(self.kubeconfig)
        redis_dir = os.environ.get("AGENTFLEET_REDIS_DIR")
        if not redis_dir:
            sys.exit("AGENTFLEET_REDIS_DIR is not set (run through ctest, or set it by hand)")
        with open(os.path.join(redis_dir, "port")) as f:
            self.redis_port = int(f.read())
        self.pods = env_int("AGENTFLEET_BENCH_PODS", 1000)
        self.shards = env_int("AGENTFLEET_BENCH_SHARDS", 1000)
        self.runs = env_int("AGENTFLEET_BENCH_RUNS", 3)
        self.windows = env_int("AGENTFLEET_BENCH_STEADY_WINDOWS", 3)
        self.passes = env_int("AGENTFLEET_BENCH_STEADY_PASSES", 8)
        self.settings = []
        for s in os.environ.get("AGENTFLEET_BENCH_QPS", "default 50:100").split():
            if s == "default":
                self.settings.append(None)
            else:
                q, b = s.split(":")
                self.settings.append((float(q), int(b)))
        self.password = "bench-" + "".join(random.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(20))
        self.namespaces = []
        self.proc = None
        self.qps = 20.0
        self.logs = []
        self.redis_user_made = False
        self.logdir = tempfile.mkdtemp(prefix="reconciler-bench-logs-")
        self.ok = False
        self.deletion = None

    # --- set-up -------------------------------------------------------------

    def redis(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], check=True,
                              capture_output=True, text=True).stdout

    def install_crd(self):
        with open(os.path.join(SOURCE, "crds", "agentfleet.io_pricingagentfleets.yaml")) as f:
            crd = f.read()
        self.kube.request(
            "PATCH",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/pricingagentfleets.agentfleet.io"
            "?fieldManager=agentfleet-reconciler-bench&force=true",
            body=crd, content_type="application/apply-patch+yaml")
        deadline = time.time() + 60
        while time.time() < deadline:
            st, _ = self.kube.get("/apis/agentfleet.io/v1alpha1/pricingagentfleets?limit=1")
            if st == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("the PricingAgentFleet CRD was not served within 60 s")

    def make_namespace(self, password=None):
        """A namespace with the Secret `pricing-redis` (`password`, or the
        bench's), once pods can be made in it."""
        ns = f"bench-reconciler-{random.randrange(16**6):06x}"
        self.kube.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        self.namespaces.append(ns)
        deadline = time.time() + 60  # pods need the 'default' service account
        while self.kube.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")[0] != 200:
            if time.time() > deadline:
                raise RuntimeError(f"no default service account in {ns}")
            time.sleep(0.2)
        self.kube.request("POST", f"/api/v1/namespaces/{ns}/secrets", {
            "metadata": {"name": "pricing-redis"},
            "data": {"password": base64.b64encode((password or self.password).encode()).decode()}})
        return ns

    def fleet(self, ns):
        with open(os.path.join(SOURCE, "examples", "fleet-redis.yaml")) as f:
            fleet = yaml.safe_load(f)
        spec = fleet["spec"]
        fleet["metadata"]["namespace"] = ns
        spec.pop("autoscaling", None)
        spec["replicas"] = self.pods
        spec["shards"] = self.shards
        url = f"redis://{REDIS_USER}@127.0.0.1:{self.redis_port}/0"
        spec["queue"]["redisStreams"]["url"] = url
        spec["queue"]["redisStreams"]["keyPrefix"] = f"rb-{ns}:tasks"
        spec["leases"]["redis"]["url"] = url
        spec["leases"]["redis"]["keyPrefix"] = f"rb-{ns}:leases:"
        # No agents run: a long lease keeps the stuck-agent rule (none of its
        # shards held for 3 lease durations) out of the measurement.
        spec["leases"]["leaseDurationSeconds"] = 3600
        return fleet

    # --- the controller -----------------------------------------------------

    def start_controller(self, ns, setting, extra=()):
        """Starts the controller for namespace `ns` (all namespaces when None)
        with the QPS:BURST `setting` (None: the defaults) and `extra` flags."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        args = [self.binary, "--kubeconfig", self.kubeconfig, *(["--namespace", ns] if ns else []),
                "--metrics-bind-address", f"127.0.0.1:{port}", "--health-probe-bind-address", "0", *extra,
                *os.environ.get("AGENTFLEET_BENCH_CONTROLLER_ARGS", "").split()]
        if setting:
            args += ["--kube-api-qps", f"{setting[0]:g}", "--kube-api-burst", str(setting[1])]
        self.qps = setting[0] if setting else 20.0
        logpath = os.path.join(self.logdir, f"controller-{ns or 'all'}-{len(self.logs)}.log")
        self.logs.append(logpath)
        logf = open(logpath, "w")
        libc = ctypes.CDLL(None, use_errno=True)
        # The controller dies with this script even if the script is SIGKILLed.
        self.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT,
                                     preexec_fn=lambda: libc.prctl(1, signal.SIGTERM))
        logf.close()
        self.metrics_port = port
        self.logpath = logpath
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the controller exited ({self.proc.returncode}); log:\n" + self.log_tail())
            with open(logpath) as f:
                if "fleet controller started" in f.read():
                    return
            time.sleep(0.1)
        raise RuntimeError("the controller did not start within 90 s; log:\n" + self.log_tail())

    def log_tail(self, n=30):
        try:
            with open(self.logpath) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop_controller(self):
        if not self.proc:
            return
        t0 = time.time()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                log("the controller did not stop within 20 s of SIGTERM; killed")
                self.proc.kill()
                self.proc.wait()
        if time.time() - t0 > 2:
            log(f"the controller took {time.time() - t0:.1f} s to stop")
        self.proc = None

    def scrape(self):
        return scrape(self.metrics_port)

    def passes_now(self, samples=None):
        return total(samples or self.scrape(), "controller_runtime_reconcile_total", controller="pricingagentfleet")

    # --- tear-down ----------------------------------------------------------

    def delete_namespace(self, ns, timeout=180):
        """Deletes the fleet, then the namespace. With the controller running
        its finalizer deletes the pods and the lease records (returns how long
        the fleet took to go); without it, the finalizer is removed by hand
        and the namespace controller deletes the pods (much faster)."""
        t0 = time.time()
        fleet_path = f"/apis/agentfleet.io/v1alpha1/namespaces/{ns}/pricingagentfleets/{FLEET_NAME}"
        running = self.proc is not None and self.proc.poll() is None
        if running:
            # The running controller removes its finalizer (and the lease records)
            # once it has deleted every pod: one request each at the client's rate.
            self.kube.request("DELETE", fleet_path, ok=None)
            deadline = time.time() + 60 + 2 * self.pods / self.qps
            while time.time() < deadline and self.kube.get(fleet_path)[0] == 200:
                time.sleep(0.2)
        t_fleet = time.time() - t0
        st, _ = self.kube.get(fleet_path)
        if st == 200:  # no controller to finalize it
            self.kube.request("PATCH", fleet_path, {"metadata": {"finalizers": None}},
                              content_type="application/merge-patch+json", ok=None)
        self.kube.request("DELETE", f"/api/v1/namespaces/{ns}", ok=None)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.kube.get(f"/api/v1/namespaces/{ns}")[0] == 404:
                break
            time.sleep(0.5)
        else:
            log(f"namespace {ns} still terminating after {timeout} s")
        log(f"deleted {ns}: fleet gone after {t_fleet:.1f} s, namespace after {time.time() - t0:.1f} s"
            + (" (through the controller's finalizer)" if running else ""))
        if ns in self.namespaces:
            self.namespaces.remove(ns)
        return t_fleet if running else None

    def cleanup(self):
        self.stop_controller()  # the fast way out: no finalizer pass over every pod
        for ns in list(self.namespaces):
            try:
                self.delete_namespace(ns, timeout=120)
            except Exception as e:
                log(f"cleanup of {ns}: {e}")
        if self.redis_user_made:
            try:
                self.redis("ACL", "DELUSER", REDIS_USER)
                keys = self.redis("--scan", "--pattern", "rb-bench-reconciler-*").split()
                if keys:
                    self.redis("DEL", *keys)
            except Exception as e:
                log(f"cleanup of Redis: {e}")
        shutil.rmtree(self.kube.tmp, ignore_errors=True)
        if self.ok:
            shutil.rmtree(self.logdir, ignore_errors=True)
        else:
            log(f"controller logs kept in {self.logdir}")

    # --- the measurements ---------------------------------------------------

    def converge(self, setting):
        ns = self.make_namespace()
        self.start_controller(ns, setting)
        watch = ConvergenceWatch(self.kube, ns, self.pods, self.shards)
        watch.start()
        if not watch.ready.wait(30):
            raise RuntimeError("the pod watch did not start")
        deadline = time.time() + 10  # both informers' watches counted before the baseline
        while requests_by_method(self.scrape()).get("WATCH", 0) < 2 and time.time() < deadline:
            time.sleep(0.1)
        before = self.scrape()
        cpu0 = cpu_seconds(self.proc.pid)
        t0 = time.time()
        self.kube.request("POST", f"/apis/agentfleet.io/v1alpha1/namespaces/{ns}/pricingagentfleets", self.fleet(ns))
        limit = 120 + 4 * self.pods / (setting[0] if setting else 20.0)
        while not watch.done.wait(1):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the controller exited ({self.proc.returncode}) during convergence; log:\n"
                                   + self.log_tail())
            if time.time() - t0 > limit:
                ready, annotated = watch.n_ready, watch.n_assigned
                raise RuntimeError(f"not converged after {limit:.0f} s: {len(watch.pods)} pods, {ready} Ready, "
                                   f"{annotated} Ready with shards; controller log:\n" + self.log_tail())
        watch.stop.set()
        if watch.error:
            raise watch.error
        after = self.scrape()
        cpu1 = cpu_seconds(self.proc.pid)
        mem = memory_kib(self.proc.pid)
        reqs = delta(requests_by_method(before), requests_by_method(after))
        codes = delta(requests_by_code(before), requests_by_code(after))
        result = {
            "ns": ns,
            "seconds": watch.t_converged - t0,
            "created": watch.t_created - t0,
            "first_assigned": watch.t_first_assigned - t0,
            "latency_ms": latency_ms(before, after),
            "ready": watch.t_ready - t0,
            "requests": reqs,
            "codes": codes,
            "writes": sum(v for k, v in reqs.items() if k in WRITE_METHODS),
            "passes": self.passes_now(after) - self.passes_now(before),
            "cpu": cpu1 - cpu0,
            "hwm_mib": mem.get("VmHWM", 0) / 1024,
            "events": watch.events,
        }
        return ns, result

    def settle(self, passes=2, timeout=40):
        start = self.passes_now()
        deadline = time.time() + timeout
        while time.time() < deadline and self.passes_now() < start + passes:
            time.sleep(0.5)

    def window(self, passes):
        """P reconcile passes from just after one pass to just after another."""
        start = self.passes_now()
        deadline = time.time() + 30
        while True:  # align on the end of a pass
            s = self.scrape()
            c0 = self.passes_now(s)
            if c0 > start or time.time() > deadline:
                break
            time.sleep(0.2)
        pid = self.proc.pid
        cpu0, ns0, t0 = cpu_seconds(pid), cpu_ns(pid), time.time()
        req0 = requests_by_method(s)
        time_sum0 = total(s, "controller_runtime_reconcile_time_seconds_sum", controller="pricingagentfleet")
        time.sleep(max(0, 5 * (passes - 1) - 1))
        deadline = time.time() + 5 * passes + 30
        while True:
            s = self.scrape()
            c1 = self.passes_now(s)
            if c1 >= c0 + passes or time.time() > deadline:
                break
            time.sleep(0.2)
        cpu1, ns1, t1 = cpu_seconds(pid), cpu_ns(pid), time.time()
        n = c1 - c0
        if n <= 0:
            raise RuntimeError("no reconcile pass in the steady-state window; log:\n" + self.log_tail())
        reqs = delta(req0, requests_by_method(s))
        mem = memory_kib(pid)
        time_sum1 = total(s, "controller_runtime_reconcile_time_seconds_sum", controller="pricingagentfleet")
        return {
            "passes": n,
            "seconds": t1 - t0,
            "cpu_ms": 1000 * (cpu1 - cpu0) / n,
            "cpu_sched_ms": (ns1 - ns0) / 1e6 / n,
            "wall_ms": 1000 * (time_sum1 - time_sum0) / n,
            "writes": sum(v for k, v in reqs.items() if k in WRITE_METHODS) / n,
            "requests": sum(reqs.values()) / n,
            "by_method": reqs,
            "rss_mib": mem["VmRSS"] / 1024,
            "hwm_mib": mem["VmHWM"] / 1024,
        }

    def run(self):
        log(f"{self.pods} pods, {self.shards} shards; QPS settings "
            f"{[('default 20/30' if s is None else f'{s[0]:g}/{s[1]}') for s in self.settings]}; "
            f"{self.runs} runs each; steady state {self.windows} x {self.passes} passes")
        self.redis("ACL", "SETUSER", REDIS_USER, "reset", "on", f">{self.password}", "~*", "&*", "+@all")
        self.redis_user_made = True
        self.install_crd()
        conv = {}
        steady = []
        last = len(self.settings) - 1
        for i, setting in enumerate(self.settings):
            conv[i] = []
            for r in range(self.runs):
                ns, res = self.converge(setting)
                conv[i].append(res)
                log(f"converged {label(setting)} run {r + 1}: {res['seconds']:.1f} s "
                    f"(first pod assigned {res['first_assigned']:.1f} s, all created {res['created']:.1f} s, "
                    f"all Ready {res['ready']:.1f} s), "
                    f"{res['passes']:.0f} passes, requests {fmt_reqs(res['requests'])}, "
                    f"mean latency ms {fmt_ms(res['latency_ms'])}, "
                    f"controller CPU {res['cpu']:.2f} s, peak RSS {res['hwm_mib']:.1f} MiB")
                if res["codes"]:
                    bad = {k: v for k, v in res["codes"].items() if not k.split()[1].startswith("2")}
                    if bad:
                        log(f"  non-2xx responses: {bad}")
                if i == last and r == self.runs - 1:
                    self.settle()
                    for w in range(self.windows):
                        st = self.window(self.passes)
                        steady.append(st)
                        log(f"steady window {w + 1}: {st['passes']} passes in {st['seconds']:.1f} s, "
                            f"CPU {st['cpu_ms']:.1f} ms/pass (schedstat {st['cpu_sched_ms']:.2f} ms), "
                            f"reconcile {st['wall_ms']:.1f} ms/pass, writes {st['writes']:.2f}/pass, "
                            f"requests {fmt_reqs(st['by_method'])}, RSS {st['rss_mib']:.1f} MiB")
                    # Once: the fleet's deletion through the running
                    # controller (its finalizer deletes every pod first).
                    self.deletion = (label(setting), self.delete_namespace(ns))
                    self.stop_controller()
                else:
                    self.stop_controller()
                    self.delete_namespace(ns)
        self.report(conv, steady)
        self.ok = True

    def report(self, conv, steady):
        print()
        print(f"== reconciler benchmarks: {self.pods} pods, {self.shards} shards, manual mode ==")
        for i, setting in enumerate(self.settings):
            runs = conv[i]
            qps = setting[0] if setting else 20.0
            secs = [r["seconds"] for r in runs]
            rates = [self.pods / s for s in secs]
            print(f"convergence 0->{self.pods} Ready+assigned, QPS/burst {label(setting)}: "
                  f"{med(secs):.1f} s median (runs {', '.join(f'{s:.1f}' for s in secs)})")
            print(f"  pods/s: {med(rates):.2f} median (range {min(rates):.2f}-{max(rates):.2f}) "
                  f"= {med(rates) / qps:.3f} pods/s per configured QPS")
            print(f"  first pod with shards: {med([r['first_assigned'] for r in runs]):.1f} s; "
                  f"all {self.pods} pods created: {med([r['created'] for r in runs]):.1f} s; "
                  f"all Ready: {med([r['ready'] for r in runs]):.1f} s (medians)")
            w = [r["writes"] for r in runs]
            print(f"  API writes during convergence: {med(w):.0f} median "
                  f"({med(w) / self.pods:.2f} per pod; by method, first run: {fmt_reqs(runs[0]['requests'])}); "
                  f"write rate {med([r['writes'] / r['seconds'] for r in runs]):.1f}/s")
            verbs = sorted({v for r in runs for v in r["latency_ms"]})
            print("  mean API request latency during convergence: " + ", ".join(
                f"{v} {med([r['latency_ms'].get(v, 0) for r in runs]):.1f} ms" for v in verbs) +
                " (medians; the pass sends its writes one at a time)")
            print(f"  reconcile passes during convergence: {med([r['passes'] for r in runs]):.0f}; "
                  f"controller CPU {med([r['cpu'] for r in runs]):.2f} s; "
                  f"peak RSS {med([r['hwm_mib'] for r in runs]):.1f} MiB (medians)")
        if steady:
            print(f"steady state, converged {self.pods}-pod fleet ({len(steady)} windows of "
                  f"{self.passes} passes, poll/requeue 5 s):")
            for key, what, unit, f in (
                    ("cpu_ms", "CPU per reconcile pass (utime+stime)", "ms", "{:.1f}"),
                    ("cpu_sched_ms", "CPU per reconcile pass (schedstat)", "ms", "{:.2f}"),
                    ("wall_ms", "reconcile wall time per pass", "ms", "{:.1f}"),
                    ("writes", "API writes per pass", "", "{:.2f}"),
                    ("requests", "API requests per pass (all methods)", "", "{:.2f}"),
                    ("rss_mib", "controller RSS", "MiB", "{:.1f}"),
                    ("hwm_mib", "controller peak RSS (VmHWM)", "MiB", "{:.1f}")):
                vals = [s[key] for s in steady]
                print(f"  {what}: {f.format(med(vals))}{' ' + unit if unit else ''} median "
                      f"(windows {', '.join(f.format(v) for v in vals)})")
            print(f"  requests by method over all windows: "
                  f"{fmt_reqs(sum_dicts([s['by_method'] for s in steady]))} "
                  f"in {sum(s['passes'] for s in steady)} passes")
        if self.deletion and self.deletion[1] is not None:
            print(f"deletion of the converged {self.pods}-pod fleet, QPS/burst {self.deletion[0]}: "
                  f"{self.deletion[1]:.1f} s until the finalizer let it go (one run; the finalizer "
                  f"deletes every pod first)")


def label(setting):
    return "20/30 (default)" if setting is None else f"{setting[0]:g}/{setting[1]}"


def med(v):
    return statistics.median(v)


def fmt_reqs(d):
    return ", ".join(f"{k} {v:.0f}" for k, v in sorted(d.items())) or "none"


def fmt_ms(d):
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(d.items())) or "none"


def sum_dicts(ds):
    out = {}
    for d in ds:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def main(bench_class=None):
    """Runs a bench (this file's, or another built on Bench), cleaning up on
    any exit, signals included."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} AGENTFLEET_CONTROLLER_BINARY")
    bench = (bench_class or Bench)(sys.argv[1])

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        bench.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        bench.cleanup()


if __name__ == "__main__":
    main()
