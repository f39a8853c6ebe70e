#!/usr/bin/env python3
"""One operator, many small fleets (issue 13 item 5), on the local control plane.

The shipped agentfleet-controller watches all namespaces (default client
QPS/burst 20/30). F fleets of P pods and S shards each, manual mode (a pass
every 5 s), in K namespaces; each namespace has its own Redis user and
password Secret, which its fleets' queue and lease table use, as
examples/fleet-redis.yaml shows. kwok makes the pods Ready; no agents run.

1. Convergence: from the first fleet's POST until every fleet's status shows
   all its pods Ready (observedGeneration current) and every pod carries shards.
2. Steady state, over a window of W seconds: API requests per second counted
   by the controller (rest_client_requests_total) and by the API server
   (apiserver_request_total, less a window of the same length with the
   operator stopped, which is what the rest of the control plane sends);
   the operator's CPU and RSS. Once without and once with --leader-elect (the
   Lease's renewals count).
3. Reconcile latency: C times, one fleet at a time (a different fleet each
   time, a random 0-5 s apart), spec.replicas P -> P+1; the time from the
   PATCH until the fleet's status reflects it (observedGeneration, replicas)
   and the new pod exists, and until it is Ready with shards. Taken from two
   watches (all fleets, all fleet pods) the bench holds open throughout.

  many_fleets_bench.py CONTROLLER_BINARY

Environment: KUBECONFIG, AGENTFLEET_CLUSTER_DIR, AGENTFLEET_REDIS_DIR.
Knobs: AGENTFLEET_BENCH_NAMESPACES [20], AGENTFLEET_BENCH_FLEETS_PER_NAMESPACE
[10], AGENTFLEET_BENCH_PODS [5] (per fleet), AGENTFLEET_BENCH_SHARDS [10] (per
fleet), AGENTFLEET_BENCH_WINDOW_SECONDS [60], AGENTFLEET_BENCH_CHANGES [20],
AGENTFLEET_BENCH_QPS ["default"]. About 7 minutes with the defaults.
"""
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reconciler"))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import api_server  # noqa: E402
import reconciler_bench as rb  # noqa: E402

FLEETS = "/apis/agentfleet.io/v1alpha1"


class Cluster:
    """Every fleet and every fleet pod as two watches last showed them, and
    the change being timed, checked at each event."""

    def __init__(self, kube):
        self.kube = kube
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.fleets = {}  # "ns/name" -> fleet object
        self.pods = {}  # "ns/name" -> ("ns/fleet", Ready with shards)
        self.change = None
        self.errors = []

    def start(self):
        opened = [threading.Event(), threading.Event()]
        for path, update, ev in ((f"{FLEETS}/pricingagentfleets", self.on_fleet, opened[0]),
                                 (f"/api/v1/pods?labelSelector={rb.FLEET_LABEL}", self.on_pod, opened[1])):
            threading.Thread(target=self.follow, args=(path, update, ev), daemon=True).start()
        for ev in opened:
            if not ev.wait(30):
                raise RuntimeError("a watch did not start: " + "; ".join(map(str, self.errors)))

    def follow(self, path, update, opened):
        try:
            rb.follow(self.kube, path, update, opened.set, self.stop)
        except Exception as e:  # reported by check()
            self.errors.append(e)

    def check(self):
        if self.errors:
            raise self.errors[0]

    def on_fleet(self, typ, obj):
        key = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        with self.lock:
            if typ == "DELETED":
                self.fleets.pop(key, None)
            else:
                self.fleets[key] = obj
            self.tick()

    def on_pod(self, typ, pod):
        meta = pod["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        with self.lock:
            if typ == "DELETED":
                self.pods.pop(key, None)
            else:
                ready = "deletionTimestamp" not in meta and any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in pod.get("status", {}).get("conditions", []))
                shards = (meta.get("annotations") or {}).get(rb.SHARDS_ANNOTATION, "")
                fleet = f"{meta['namespace']}/{(meta.get('labels') or {}).get(rb.FLEET_LABEL, '')}"
                self.pods[key] = (fleet, ready and bool(shards))
            self.tick()

    def tick(self):
        if self.change is not None:
            self.change.check(self, time.time())

    def pods_of(self, fleet):
        """(pods, pods Ready with shards) of one fleet; the caller holds the lock."""
        mine = [ok for f, ok in self.pods.values() if f == fleet]
        return len(mine), sum(mine)

    def converged(self, expected):
        """Every one of `expected` fleets reports all its pods Ready for its
        current generation, and every fleet pod is Ready with shards."""
        with self.lock:
            if len(self.fleets) != expected:
                return False
            want = 0
            for f in self.fleets.values():
                st, n = f.get("status", {}), f["spec"]["replicas"]
                want += n
                if st.get("observedGeneration") != f["metadata"]["generation"] or \
                        st.get("replicas") != n or st.get("readyReplicas") != n:
                    return False
            return len(self.pods) == want and all(ok for _, ok in self.pods.values())


class Change:
    """One fleet's spec.replicas raised by one: when its status shows it, when
    the new pod exists, when it is Ready with shards."""

    def __init__(self, fleet, generation, replicas):
        self.fleet, self.generation, self.replicas = fleet, generation, replicas
        self.t0 = None
        self.t_status = self.t_pod = self.t_ready = None
        self.done = threading.Event()

    def check(self, cluster, now):
        if self.t0 is None:
            return
        st = cluster.fleets.get(self.fleet, {}).get("status", {})
        if self.t_status is None and st.get("observedGeneration", 0) >= self.generation and \
                st.get("replicas") == self.replicas:
            self.t_status = now
        exist, ready = cluster.pods_of(self.fleet)
        if self.t_pod is None and exist >= self.replicas:
            self.t_pod = now
        if self.t_ready is None and ready >= self.replicas:
            self.t_ready = now
        if None not in (self.t_status, self.t_pod, self.t_ready):
            self.done.set()


class ManyFleetsBench(rb.Bench):
    def __init__(self, binary):
        os.environ.setdefault("AGENTFLEET_BENCH_PODS", "5")
        os.environ.setdefault("AGENTFLEET_BENCH_SHARDS", "10")
        os.environ.setdefault("AGENTFLEET_BENCH_QPS", "default")
        super().__init__(binary)
        self.setting = self.settings[0]
        self.n_ns = rb.env_int("AGENTFLEET_BENCH_NAMESPACES", 20)
        self.per_ns = rb.env_int("AGENTFLEET_BENCH_FLEETS_PER_NAMESPACE", 10)
        self.window_s = rb.env_int("AGENTFLEET_BENCH_WINDOW_SECONDS", 60)
        self.n_changes = rb.env_int("AGENTFLEET_BENCH_CHANGES", 20)
        self.users = []  # one Redis user per namespace, named as the namespace
        self.cluster = Cluster(self.kube)

    # --- set-up and tear-down -------------------------------------------------

    def setup(self):
        self.redis_user_made = True  # the keys under rb-bench-reconciler-* go at clean-up
        for _ in range(self.n_ns):
            password = "bench-" + "".join(random.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(20))
            ns = self.make_namespace(password)
            self.redis("ACL", "SETUSER", ns, "reset", "on", f">{password}", "~*", "&*", "+@all")
            self.users.append(ns)

    def fleet_of(self, ns, i):
        fleet = self.fleet(ns)
        name = f"pricing-{i:02d}"
        fleet["metadata"]["name"] = name
        spec = fleet["spec"]
        url = f"redis://{ns}@127.0.0.1:{self.redis_port}/0"
        spec["queue"]["redisStreams"].update(url=url, keyPrefix=f"rb-{ns}:{name}:tasks")
        spec["leases"]["redis"].update(url=url, keyPrefix=f"rb-{ns}:{name}:leases:")
        return fleet

    def cleanup(self):
        self.cluster.stop.set()
        self.stop_controller()
        # Without the operator nothing removes the fleets' finalizers, and the
        # namespaces would wait for them; the pods go with the namespaces.
        for ns in self.namespaces:
            try:
                st, lst = self.kube.get(f"{FLEETS}/namespaces/{ns}/pricingagentfleets")
                for f in lst.get("items", []) if st == 200 else []:
                    self.kube.request("PATCH", f"{FLEETS}/namespaces/{ns}/pricingagentfleets/"
                                      f"{f['metadata']['name']}", {"metadata": {"finalizers": None}},
                                      content_type="application/merge-patch+json", ok=None)
                self.kube.request("DELETE", f"/api/v1/namespaces/{ns}", ok=None)
            except Exception as e:
                rb.log(f"cleanup of {ns}: {e}")
        for user in self.users:
            try:
                self.redis("ACL", "DELUSER", user)
            except Exception as e:
                rb.log(f"cleanup of Redis user {user}: {e}")
        super().cleanup()

    # --- measurements -----------------------------------------------------------

    def wait(self, what, pred, limit):
        t0 = time.time()
        while not pred():
            self.cluster.check()
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the controller exited ({self.proc.returncode}) during {what}; log:\n"
                                   + self.log_tail())
            if time.time() - t0 > limit:
                raise RuntimeError(f"{what}: not done after {limit:.0f} s; controller log:\n" + self.log_tail())
            time.sleep(0.2)
        return time.time() - t0

    def settle(self):
        """Two passes of every fleet (a pass per fleet per 5 s), then 5 s more:
        what the operator does after that is its steady state."""
        start = self.passes_now()
        n = self.n_ns * self.per_ns
        self.wait("settling", lambda: self.passes_now() >= start + 2 * n, 120)
        time.sleep(5)

    def window(self):
        """W seconds of requests, by the controller's count (if it runs) and
        the API server's."""
        running = self.proc is not None
        c0 = self.scrape() if running else []
        cpu0 = rb.cpu_seconds(self.proc.pid) if running else 0
        s0, t0 = api_server.request_counts(self.kube), time.time()
        time.sleep(self.window_s)
        s1, t1 = api_server.request_counts(self.kube), time.time()
        out = {"seconds": t1 - t0, "server": rb.delta(s0, s1)}
        if running:
            c1 = self.scrape()
            out.update(controller=rb.delta(rb.requests_by_method(c0), rb.requests_by_method(c1)),
                       passes=self.passes_now(c1) - self.passes_now(c0),
                       cpu=rb.cpu_seconds(self.proc.pid) - cpu0,
                       rss=rb.memory_kib(self.proc.pid)["VmRSS"] / 1024)
        return out

    def change(self, fleet):
        ns, name = fleet.split("/")
        with self.cluster.lock:
            f = self.cluster.fleets[fleet]
            c = Change(fleet, f["metadata"]["generation"] + 1, f["spec"]["replicas"] + 1)
            self.cluster.change = c
        c.t0 = time.time()
        self.kube.request("PATCH", f"{FLEETS}/namespaces/{ns}/pricingagentfleets/{name}",
                          {"spec": {"replicas": c.replicas}}, content_type="application/merge-patch+json")
        with self.cluster.lock:
            c.check(self.cluster, time.time())  # in case every event came before t0 was read
        self.wait(f"the change of {fleet}", c.done.is_set, 60)
        self.cluster.change = None
        return c

    def run(self):
        n = self.n_ns * self.per_ns
        rb.log(f"{n} fleets of {self.pods} pods and {self.shards} shards in {self.n_ns} namespaces; "
               f"QPS/burst {rb.label(self.setting)}; windows of {self.window_s} s; {self.n_changes} changes")
        self.install_crd()
        self.setup()
        self.cluster.start()
        life0 = api_server.request_counts(self.kube)
        self.start_controller(None, self.setting)
        t0 = time.time()
        for ns in self.namespaces:
            for i in range(self.per_ns):
                self.kube.request("POST", f"{FLEETS}/namespaces/{ns}/pricingagentfleets", self.fleet_of(ns, i))
        created = time.time() - t0
        self.wait("convergence", lambda: self.cluster.converged(n), 300 + 4 * n * self.pods / self.qps)
        converged = time.time() - t0
        rb.log(f"{n} fleets POSTed in {created:.1f} s; converged {converged:.1f} s after the first POST")
        self.settle()
        plain = self.window()
        rb.log(f"steady, no leader election: {summary(plain)}")

        keys = sorted(self.cluster.fleets)
        random.shuffle(keys)
        changes = []
        for fleet in keys[:self.n_changes]:
            time.sleep(random.uniform(0, 5))  # any phase of the fleets' 5 s poll timers
            c = self.change(fleet)
            changes.append(c)
            rb.log(f"{fleet}: status {c.t_status - c.t0:.3f} s, pod {c.t_pod - c.t0:.3f} s, "
                   f"Ready with shards {c.t_ready - c.t0:.3f} s")
        self.settle()
        rss_plain = rb.memory_kib(self.proc.pid)
        self.stop_controller()
        secrets = (rb.delta(life0, api_server.request_counts(self.kube)).get("GET secrets", 0),
                   time.time() - t0)
        time.sleep(5)  # the controller's watches ended; the server has counted them
        quiet = self.window()
        rb.log(f"no operator: {summary(quiet)}")

        self.start_controller(None, self.setting, ["--leader-elect", "--leader-election-namespace",
                                                   self.namespaces[0]])
        c0 = self.scrape()
        self.settle()
        restart = rb.delta(rb.requests_by_method(c0), rb.requests_by_method(self.scrape()))
        elected = self.window()
        rb.log(f"steady, --leader-elect: {summary(elected)}")
        self.report(n, converged, plain, elected, quiet, changes, rss_plain, restart, secrets)
        self.ok = True

    def report(self, n, converged, plain, elected, quiet, changes, rss_plain, restart, secrets):
        print()
        print(f"== many fleets: {n} fleets x {self.pods} pods ({n * self.pods} pods), {self.shards} shards "
              f"each, {self.n_ns} namespaces, one operator for all namespaces, QPS/burst "
              f"{rb.label(self.setting)} ==")
        print(f"convergence from the first POST: {converged:.1f} s")
        q = per_second(quiet["server"], quiet["seconds"])
        for what, w in (("without leader election", plain), ("with --leader-elect", elected)):
            mine = per_second(w["controller"], w["seconds"])
            server = per_second(w["server"], w["seconds"])
            net = {k: v - q.get(k, 0) for k, v in server.items()}
            print(f"steady state {what}, {w['seconds']:.0f} s window:")
            print(f"  controller (rest_client_requests_total): {sum(mine.values()):.3f} requests/s "
                  f"({fmt_rates(mine)})")
            print(f"  API server (apiserver_request_total), less the {quiet['seconds']:.0f} s without the "
                  f"operator: {sum(net.values()):.3f} requests/s (all {sum(server.values()):.3f}, "
                  f"without the operator {sum(q.values()):.3f}); the operator's resources: "
                  f"{fmt_rates({k: v for k, v in net.items() if operator_resource(k) and abs(v) > 1e-9})}")
            print(f"  passes {w['passes'] / w['seconds']:.1f}/s; operator CPU "
                  f"{100 * w['cpu'] / w['seconds']:.1f} % of a core "
                  f"({1000 * w['cpu'] / max(w['passes'], 1):.2f} ms/pass); RSS {w['rss']:.1f} MiB")
        print(f"  the restarted operator (leader) before it settled: {rb.fmt_reqs(restart)}")
        print(f"Secret reads by the API server's count over the first operator's {secrets[1]:.0f} s: "
              f"{secrets[0]:.0f} for {self.n_ns} namespaces (cached; read again after "
              f"--secret-refresh-interval, 5 min by default)")
        print(f"operator RSS after the changes (no leader election): {rss_plain['VmRSS'] / 1024:.1f} MiB "
              f"(peak {rss_plain['VmHWM'] / 1024:.1f} MiB)")
        for what, attr in (("status reflects it and the new pod exists", None),
                           ("status reflects it", "t_status"), ("the new pod exists", "t_pod"),
                           ("the new pod Ready with shards", "t_ready")):
            vals = sorted((max(c.t_status, c.t_pod) if attr is None else getattr(c, attr)) - c.t0
                          for c in changes)
            print(f"reconcile latency after spec.replicas {self.pods} -> {self.pods + 1}, {what}: "
                  f"p50 {1000 * quantile(vals, 0.5):.0f} ms, p99 {1000 * quantile(vals, 0.99):.0f} ms "
                  f"({len(vals)} changes; max {1000 * vals[-1]:.0f} ms)")


def per_second(counts, seconds):
    return {k: v / seconds for k, v in counts.items()}


def fmt_rates(d):
    return ", ".join(f"{k} {v:.3f}/s" for k, v in sorted(d.items()) if abs(v) > 1e-9) or "none"


def operator_resource(key):
    _, _, res = key.partition(" ")
    return res.split("/")[0] in ("pods", "pricingagentfleets", "secrets", "events", "leases")


def quantile(sorted_vals, q):
    """Nearest rank: with 20 samples p99 is the largest."""
    return sorted_vals[min(len(sorted_vals) - 1, max(0, int(-(-q * len(sorted_vals) // 1)) - 1))]


def summary(w):
    s = f"API server {sum(w['server'].values()) / w['seconds']:.2f} requests/s"
    if "controller" in w:
        s += (f", controller {rb.fmt_reqs(w['controller'])} in {w['seconds']:.0f} s, "
              f"{w['passes']:.0f} passes, CPU {w['cpu']:.2f} s, RSS {w['rss']:.1f} MiB")
    return s


if __name__ == "__main__":
    rb.main(ManyFleetsBench)
