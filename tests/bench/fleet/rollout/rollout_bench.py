#!/usr/bin/env python3
"""A rolling update of a 1,000-pod fleet, on the local control plane.

The shipped agentfleet-controller runs a manual-mode fleet of N pods and S
shards (kwok plays the kubelet); a lease simulator plays every pod's agent
against the real Redis lease table (lease_simulator.py: the protocol's own
Lua scripts, a hand-over takes at least one 0.5 s tick). Once the fleet has
converged (every shard held by the pod it is assigned to), the template's
`kubectl.kubernetes.io/restartedAt` annotation is set, as `kubectl rollout
restart` does, and the clock runs until every pod is of the new revision and
every shard is held by its owner again. Reported:
- the time the rollout took;
- API writes per replaced pod, from the controller's rest_client_requests_total
  and, as evidence it cannot fake, from the API server's apiserver_request_total
  (pods and the fleet's status; nothing else writes those here);
- shard moves / S, from the lease table (a shard taken by a pod other than its
  last holder) and from agentfleet_rollout_shard_moves_total;
- the most pods alive at once against desired + maxSurge, and the most shards
  between owners at once (released by the old agent, not yet taken by the new);
- the controller's CPU seconds and peak RSS over the rollout.

  rollout_bench.py CONTROLLER_BINARY

Environment: KUBECONFIG, AGENTFLEET_REDIS_DIR (as reconciler_bench.py).
Knobs: AGENTFLEET_BENCH_PODS [1000], AGENTFLEET_BENCH_SHARDS [1000],
AGENTFLEET_BENCH_QPS ["default"] (one QPS:BURST setting or "default"),
AGENTFLEET_BENCH_RUNS [1] (rollouts of the same fleet, one after another).
"""
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reconciler"))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)

import api_server  # noqa: E402
import reconciler_bench as rb  # noqa: E402
from lease_simulator import LeaseSimulator  # noqa: E402

HASH_LABEL = "agentfleet.io/template-hash"
LEASE_SECONDS = 30


@dataclass
class PodState:
    ready: bool = False
    shards: frozenset = frozenset()
    revision: str = ""
    deleting: bool = False


@dataclass
class RolloutResult:
    seconds: float = 0.0
    writes: dict = field(default_factory=dict)
    server_writes: dict = field(default_factory=dict)
    sim_moves: int = 0
    most_moved: int = 0
    operator_moves: float = 0.0
    max_alive: int = 0
    max_dark: int = 0
    cpu: float = 0.0
    hwm_mib: float = 0.0
    passes: float = 0.0


class PodWatch(threading.Thread):
    """The fleet's pods as the watch last showed them."""

    def __init__(self, kube, ns, shards):
        super().__init__(daemon=True)
        self.kube, self.ns, self.shards = kube, ns, shards
        self.pods = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.error = None

    def snapshot(self):
        with self.lock:
            return dict(self.pods)

    def run(self):
        try:
            rb.follow_pods(self.kube, self.ns, self.update, self.ready.set, self.stop)
        except Exception as e:  # reported by the main thread
            self.error = e
            self.ready.set()

    def update(self, typ, pod):
        meta = pod["metadata"]
        with self.lock:
            if typ == "DELETED":
                self.pods.pop(meta["name"], None)
                return
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in pod.get("status", {}).get("conditions", []))
            ann = (meta.get("annotations") or {}).get(rb.SHARDS_ANNOTATION, "")
            try:
                shards = frozenset(rb.parse_ranges(ann, self.shards))
            except ValueError:
                shards = frozenset()
            self.pods[meta["name"]] = PodState(
                ready=ready and "deletionTimestamp" not in meta, shards=shards,
                revision=(meta.get("labels") or {}).get(HASH_LABEL, ""),
                deleting="deletionTimestamp" in meta)


def server_writes(kube):
    """apiserver_request_total for writes of pods and of fleets (with status)."""
    out = {}
    for key, n in api_server.request_counts(kube).items():
        verb, _, resource = key.partition(" ")
        if verb in ("POST", "PUT", "PATCH", "DELETE", "APPLY") and \
                resource.split("/")[0] in ("pods", "pricingagentfleets"):
            out[key] = n
    return out


class RolloutBench(rb.Bench):
    def __init__(self, binary):
        os.environ.setdefault("AGENTFLEET_BENCH_QPS", "default")
        os.environ.setdefault("AGENTFLEET_BENCH_RUNS", "1")
        super().__init__(binary)
        self.setting = self.settings[0]
        self.watch = self.sim = None

    def cleanup(self):
        for t in (self.sim, self.watch):
            if t:
                t.stop.set()
        super().cleanup()

    def fleet(self, ns):
        fleet = super().fleet(ns)
        fleet["spec"]["leases"]["leaseDurationSeconds"] = LEASE_SECONDS
        return fleet

    def fleet_path(self, ns):
        return f"/apis/agentfleet.io/v1alpha1/namespaces/{ns}/pricingagentfleets/{rb.FLEET_NAME}"

    def check_threads(self):
        for t in (self.watch, self.sim):
            if t and t.error:
                raise t.error
        if self.proc.poll() is not None:
            raise RuntimeError(f"the controller exited ({self.proc.returncode}); log:\n" + self.log_tail())

    def settled(self, revision=None):
        """N live pods of one revision (the given one), each Ready, every shard
        assigned once and held by its owner."""
        pods = {n: p for n, p in self.watch.snapshot().items() if not p.deleting}
        if len(pods) != self.pods or not all(p.ready for p in pods.values()):
            return None
        revs = {p.revision for p in pods.values()}
        if len(revs) != 1 or (revision is not None and revs != {revision}):
            return None
        owner = {}
        for n, p in pods.items():
            for s in p.shards:
                if s in owner:
                    return None
                owner[s] = n
        if len(owner) != self.shards or self.sim.holders() != owner:
            return None
        return revs.pop()

    def wait(self, what, pred, limit):
        t0 = time.time()
        while True:
            self.check_threads()
            v = pred()
            if v:
                return v
            if time.time() - t0 > limit:
                pods = self.watch.snapshot()
                raise RuntimeError(
                    f"{what}: not done after {limit:.0f} s: {len(pods)} pods, "
                    f"{sum(p.ready for p in pods.values())} Ready, "
                    f"{len(self.sim.holders())} shards held; controller log:\n" + self.log_tail())
            time.sleep(0.25)

    def status(self, ns):
        st, f = self.kube.get(self.fleet_path(ns))
        return f.get("status", {}) if st == 200 else {}

    def rollout(self, ns, run):
        before = self.settled()
        base = self.scrape()
        base_server = server_writes(self.kube)
        cpu0 = rb.cpu_seconds(self.proc.pid)
        moves_metric = dict(namespace=ns, fleet=rb.FLEET_NAME)
        op0 = rb.total(base, "agentfleet_rollout_shard_moves_total", **moves_metric)
        self.sim.reset_moves()
        res = RolloutResult()
        t0 = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + f"-{run}"
        self.kube.request("PATCH", self.fleet_path(ns), {"spec": {"template": {"metadata": {
            "annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}},
            content_type="application/merge-patch+json")

        def done():
            pods = self.watch.snapshot()
            res.max_alive = max(res.max_alive, sum(not p.deleting for p in pods.values()))
            res.max_dark = max(res.max_dark, self.shards - len(self.sim.holders()))
            rev = self.settled()
            if rev is None or rev == before:
                return False
            st = self.status(ns)
            return st.get("updatedReplicas") == self.pods and st.get("updateRevision") == rev
        limit = 300 + 12 * self.pods / (self.setting[0] if self.setting else 20.0)
        self.wait(f"rollout {run}", done, limit)
        res.seconds = time.time() - t0
        after = self.scrape()
        res.cpu = rb.cpu_seconds(self.proc.pid) - cpu0
        res.hwm_mib = rb.memory_kib(self.proc.pid).get("VmHWM", 0) / 1024
        reqs = rb.delta(rb.requests_by_method(base), rb.requests_by_method(after))
        res.writes = {k: v for k, v in reqs.items() if k in rb.WRITE_METHODS}
        res.server_writes = {k: v for k, v in rb.delta(base_server, server_writes(self.kube)).items() if v}
        res.passes = self.passes_now(after) - self.passes_now(base)
        res.operator_moves = rb.total(after, "agentfleet_rollout_shard_moves_total", **moves_metric) - op0
        with self.sim.lock:
            res.sim_moves = self.sim.moves
            res.most_moved = max(self.sim.moved.values(), default=0)
        return res

    def run(self):
        rb.log(f"rollout of {self.pods} pods, {self.shards} shards, QPS/burst {rb.label(self.setting)}, "
               f"{self.runs} run(s)")
        self.redis("ACL", "SETUSER", rb.REDIS_USER, "reset", "on", f">{self.password}", "~*", "&*", "+@all")
        self.redis_user_made = True
        self.install_crd()
        ns = self.make_namespace()
        self.start_controller(ns, self.setting)
        self.watch = PodWatch(self.kube, ns, self.shards)
        self.watch.start()
        if not self.watch.ready.wait(30):
            raise RuntimeError("the pod watch did not start")
        key = f"rb-{ns}:leases:lease:{{{ns}/{rb.FLEET_NAME}}}"
        self.sim = LeaseSimulator(self.watch, self.redis_port, rb.REDIS_USER, self.password, key,
                                  LEASE_SECONDS)
        self.sim.start()
        t0 = time.time()
        self.kube.request("POST", f"/apis/agentfleet.io/v1alpha1/namespaces/{ns}/pricingagentfleets",
                          self.fleet(ns))
        self.wait("convergence", self.settled, 300 + 8 * self.pods / 20.0)
        rb.log(f"converged with every shard held in {time.time() - t0:.1f} s")
        self.settle()
        results = []
        for run in range(1, self.runs + 1):
            r = self.rollout(ns, run)
            results.append(r)
            rb.log(f"rollout {run}: {r.seconds:.1f} s, writes {rb.fmt_reqs(r.writes)}, "
                   f"API server writes {rb.fmt_reqs(r.server_writes)}, shard moves {r.sim_moves} "
                   f"(operator {r.operator_moves:.0f}), most alive {r.max_alive}, most dark {r.max_dark}")
            self.settle()
        self.report(results)
        self.ok = True
        self.stop_controller()
        self.delete_namespace(ns)

    def report(self, results):
        med = statistics.median
        n, s = self.pods, self.shards
        surge = -(-n * 25 // 100)
        print()
        print(f"== rollout benchmark: {n} pods, {s} shards, manual mode, maxSurge 25% ({surge}), "
              f"maxUnavailable 0, QPS/burst {rb.label(self.setting)}, agents simulated "
              f"({LEASE_SECONDS} s leases, 0.5 s tick) ==")
        print(f"rollout time: {med([r.seconds for r in results]):.1f} s median "
              f"(runs {', '.join(f'{r.seconds:.1f}' for r in results)})")
        w = [sum(r.writes.values()) for r in results]
        print(f"API writes per replaced pod (controller): {med(w) / n:.2f} median; first run by method: "
              f"{rb.fmt_reqs(results[0].writes)}")
        # Only the controller creates and patches these pods and writes the
        # fleet's status here; DELETE pods also counts other clients' deletes.
        mine = ("POST pods", "PATCH pods", "PATCH pricingagentfleets/status")
        sw = [sum(v for k, v in r.server_writes.items() if k in mine) for r in results]
        cw = [sum(v for k, v in r.writes.items() if k != "DELETE") for r in results]
        print(f"the same seen by the API server (apiserver_request_total): POST pods + PATCH pods + "
              f"PATCH fleet status {med(sw) / n:.2f} per pod against the controller's POST + PATCH "
              f"{med(cw) / n:.2f}; first run, all writes of pods and fleets: "
              f"{rb.fmt_reqs(results[0].server_writes)}")
        print(f"shard moves / S (lease table): {med([r.sim_moves for r in results]) / s:.3f} median; "
              f"most moves of one shard {max(r.most_moved for r in results)}; "
              f"agentfleet_rollout_shard_moves_total / S {med([r.operator_moves for r in results]) / s:.3f}")
        print(f"most pods alive at once: {max(r.max_alive for r in results)} (desired + maxSurge = {n + surge}); "
              f"most shards between owners at once (released, not yet taken): "
              f"{max(r.max_dark for r in results)}")
        print(f"reconcile passes {med([r.passes for r in results]):.0f}; controller CPU "
              f"{med([r.cpu for r in results]):.1f} s; peak RSS {max(r.hwm_mib for r in results):.1f} MiB")


if __name__ == "__main__":
    rb.main(RolloutBench)
