#!/usr/bin/env python3
"""0 -> N Ready pods by a ReplicaSet and by a manual fleet, side by side on one
control plane, and the fleet's deletion (issue 13).

Each run, one after the other on the same cluster:
- a ReplicaSet of N replicas (kube-controller-manager, client QPS/burst 200/400
  as tests/cluster/cluster.sh starts it): from its POST until N pods are Ready;
  then its deletion (propagationPolicy Foreground) until the pods are gone;
- a manual fleet of N replicas and S shards under agentfleet-controller at the
  controller-manager's QPS/burst (AGENTFLEET_BENCH_QPS, first setting) and at
  each further setting (the default 20/30): from its POST until N pods are
  Ready with every shard assigned once, balanced; on the way, when the first
  pod and half of the pods carry a non-empty agentfleet.io/shards annotation
  (Ready or not: the pods are created with their shards); then the fleet's
  DELETE until the fleet is gone (its finalizer deletes the pods) and until
  every pod is gone.
Each phase also reports the CPU seconds (utime+stime) each control-plane
process and the controller spent in it: on a 2-core machine they share the
cores, so a controller that burns CPU slows the API server it waits on.
Pod writes per pod come from the API server: apiserver_request_total (any
client; nothing else creates or patches these pods during a phase) and the
audit log (the controller's user agent, the fleet's namespace). No agents run:
kwok makes both kinds of pods Ready, so both measure the control plane path.

  scale_bench.py CONTROLLER_BINARY

Environment: KUBECONFIG, AGENTFLEET_CLUSTER_DIR, AGENTFLEET_REDIS_DIR.
Knobs: AGENTFLEET_BENCH_PODS [1000], AGENTFLEET_BENCH_SHARDS [1000],
AGENTFLEET_BENCH_QPS ["200:400 default"] (the first setting runs beside the
ReplicaSet), AGENTFLEET_BENCH_RUNS [3]. About 9 minutes with the defaults.
"""
import os
import statistics
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reconciler"))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import api_server  # noqa: E402
import reconciler_bench as rb  # noqa: E402

RS_NAME = "bench-replicaset"
RS_LABEL = "agentfleet-bench/replicaset"
POD_WRITES = ("POST pods", "PATCH pods", "PUT pods", "DELETE pods")
COMPONENTS = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager", "kwok")


def cpu_by_process(proc=None):
    """CPU seconds so far of the control plane's processes (by the cluster's
    pid files) and of the controller `proc`, by name."""
    out = {}
    pids = os.path.join(os.environ["AGENTFLEET_CLUSTER_DIR"], "pids")
    for name in COMPONENTS:
        try:
            with open(os.path.join(pids, name)) as f:
                out[name] = rb.cpu_seconds(int(f.read().strip()))
        except (OSError, ValueError):
            pass
    if proc is not None and proc.poll() is None:
        out["controller"] = rb.cpu_seconds(proc.pid)
    return out


def pass_seconds(samples):
    return rb.total(samples, "controller_runtime_reconcile_time_seconds_sum",
                    controller="pricingagentfleet")


def cpu_spent(before, after):
    return {k: after[k] - before[k] for k in after if k in before}


def fmt_cpu(spent):
    return ", ".join(f"{k} {v:.1f}" for k, v in spent.items()) + f"; all {sum(spent.values()):.1f}"


class Timeline(rb.ConvergenceWatch):
    """ConvergenceWatch that follows the pods past convergence (to time their
    deletion) and also times when pods first carry shards, Ready or not."""

    def __init__(self, kube, ns, pods, shards, selector=rb.FLEET_LABEL):
        super().__init__(kube, ns, pods, shards)
        self.selector = selector
        self.carrying = 0
        self.t_first_carrying = self.t_half_carrying = self.t_empty = None

    def _run(self):
        rb.follow_pods(self.kube, self.ns, self.update, self.ready.set, self.stop, selector=self.selector)

    def update(self, typ, pod):
        name = pod["metadata"]["name"]
        self.carrying -= bool(self.pods.get(name, (False, ""))[1])
        super().update(typ, pod)
        self.carrying += bool(self.pods.get(name, (False, ""))[1])
        now = time.time()
        if self.t_first_carrying is None and self.carrying > 0:
            self.t_first_carrying = now
        if self.t_half_carrying is None and 2 * self.carrying >= self.n:
            self.t_half_carrying = now
        if self.t_ready is not None and not self.pods:
            self.t_empty = now

    def wait(self, what, pred, limit, proc=None, tail=lambda: ""):
        t0 = time.time()
        while not pred():
            if self.error:
                raise self.error
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the controller exited ({proc.returncode}) during {what}; log:\n" + tail())
            if time.time() - t0 > limit:
                raise RuntimeError(f"{what}: not done after {limit:.0f} s: {len(self.pods)} pods, "
                                   f"{self.n_ready} Ready, {self.carrying} with shards; log:\n" + tail())
            time.sleep(0.1)


class ScaleBench(rb.Bench):
    def __init__(self, binary):
        os.environ.setdefault("AGENTFLEET_BENCH_QPS", "200:400 default")
        super().__init__(binary)
        self.audit = None

    def start_watch(self, ns, selector=rb.FLEET_LABEL):
        watch = Timeline(self.kube, ns, self.pods, self.shards, selector)
        watch.start()
        if not watch.ready.wait(30):
            raise RuntimeError("the pod watch did not start")
        return watch

    def replicaset(self):
        with open(os.path.join(rb.SOURCE, "examples", "fleet-redis.yaml")) as f:
            template = yaml.safe_load(f)["spec"]["template"]
        template["metadata"]["labels"][RS_LABEL] = "1"
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": RS_NAME},
                "spec": {"replicas": self.pods, "selector": {"matchLabels": {RS_LABEL: "1"}},
                         "template": template}}

    def run_replicaset(self):
        ns = self.make_namespace()
        watch = self.start_watch(ns, RS_LABEL)
        base = api_server.request_counts(self.kube)
        cpu0 = cpu_by_process()
        t0 = time.time()
        self.kube.request("POST", f"/apis/apps/v1/namespaces/{ns}/replicasets", self.replicaset())
        watch.wait("ReplicaSet scale-up", lambda: watch.t_ready is not None, 120 + self.pods / 10)
        res = {"seconds": watch.t_ready - t0, "created": watch.t_created - t0,
               "cpu": cpu_spent(cpu0, cpu_by_process())}
        after = api_server.request_counts(self.kube)
        res["writes"] = pod_writes(base, after)
        res["requests"] = rb.delta(base, after)
        t1 = time.time()
        self.kube.request("DELETE", f"/apis/apps/v1/namespaces/{ns}/replicasets/{RS_NAME}",
                          {"propagationPolicy": "Foreground"})
        gone = lambda: self.kube.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/{RS_NAME}")[0] == 404
        watch.wait("ReplicaSet deletion", lambda: watch.t_empty is not None, 120 + self.pods / 10)
        watch.wait("ReplicaSet deletion", gone, 60)
        res["deleted"] = time.time() - t1
        res["pods_deleted"] = watch.t_empty - t1
        watch.stop.set()
        self.delete_namespace(ns)
        return res

    def run_fleet(self, setting):
        ns = self.make_namespace()
        self.start_controller(ns, setting)
        watch = self.start_watch(ns)
        base = api_server.request_counts(self.kube)
        audit = api_server.AuditTail()
        mine = self.scrape()
        fleets = f"/apis/agentfleet.io/v1alpha1/namespaces/{ns}/pricingagentfleets"
        cpu0 = cpu_by_process(self.proc)
        t0 = time.time()
        self.kube.request("POST", fleets, self.fleet(ns))
        watch.wait("fleet scale-up", lambda: watch.t_converged is not None,
                   120 + 4 * self.pods / self.qps, self.proc, self.log_tail)
        cpu = cpu_spent(cpu0, cpu_by_process(self.proc))
        after = api_server.request_counts(self.kube)
        end = self.scrape()
        res = {"seconds": watch.t_converged - t0, "ready": watch.t_ready - t0,
               "requests": rb.delta(base, after),
               "created": watch.t_created - t0, "first": watch.t_first_carrying - t0,
               "half": watch.t_half_carrying - t0, "writes": pod_writes(base, after),
               "audited": api_server.operator_writes(audit.writes([ns])),
               "latency_ms": rb.latency_ms(mine, end), "cpu": cpu,
               "passes": self.passes_now(end) - self.passes_now(mine),
               "pass_seconds": pass_seconds(end) - pass_seconds(mine)}
        audit = api_server.AuditTail()
        mine = self.scrape()
        t1 = time.time()
        self.kube.request("DELETE", f"{fleets}/{rb.FLEET_NAME}")
        gone = lambda: self.kube.get(f"{fleets}/{rb.FLEET_NAME}")[0] == 404
        watch.wait("fleet deletion", gone, 60 + 4 * self.pods / self.qps, self.proc, self.log_tail)
        res["deleted"] = time.time() - t1
        watch.wait("fleet deletion", lambda: watch.t_empty is not None, 60, self.proc, self.log_tail)
        res["pods_deleted"] = watch.t_empty - t1
        # kwok deletes each pod too (twice: the second gets a 404), so the
        # controller's own deletes come from the audit log.
        res["delete_writes"] = api_server.operator_writes(audit.writes([ns]))
        res["delete_latency_ms"] = rb.latency_ms(mine, self.scrape())
        watch.stop.set()
        self.stop_controller()
        self.delete_namespace(ns)
        return res

    def run(self):
        rb.log(f"{self.pods} pods, {self.shards} shards; ReplicaSet beside the fleet at "
               f"{rb.label(self.settings[0])}; further settings "
               f"{[rb.label(s) for s in self.settings[1:]]}; {self.runs} runs")
        self.redis("ACL", "SETUSER", rb.REDIS_USER, "reset", "on", f">{self.password}", "~*", "&*", "+@all")
        self.redis_user_made = True
        self.install_crd()
        runs = []
        for r in range(self.runs):
            run = {}
            # Alternate who goes first, so that a drift in the machine's load
            # does not always favour the same side.
            order = ["rs", 0] if r % 2 == 0 else [0, "rs"]
            for what in order + list(range(1, len(self.settings))):
                if what == "rs":
                    run["rs"] = res = self.run_replicaset()
                    rb.log(f"run {r + 1} ReplicaSet: Ready {res['seconds']:.1f} s (all created "
                           f"{res['created']:.1f} s), pod writes {rb.fmt_reqs(res['writes'])}; CPU s "
                           f"{fmt_cpu(res['cpu'])}; deleted in {res['deleted']:.1f} s; all requests "
                           f"(API server) {rb.fmt_reqs(res['requests'])}")
                else:
                    run[what] = res = self.run_fleet(self.settings[what])
                    rb.log(f"run {r + 1} fleet {rb.label(self.settings[what])}: converged {res['seconds']:.1f} s "
                           f"(first pod with shards {res['first']:.2f} s, half {res['half']:.1f} s, "
                           f"all created {res['created']:.1f} s, all Ready {res['ready']:.1f} s), "
                           f"CPU s {fmt_cpu(res['cpu'])}; {res['passes']:.0f} passes, "
                           f"{res['pass_seconds']:.1f} s in passes; pod writes {rb.fmt_reqs(res['writes'])} "
                           f"(audit, the controller's: {rb.fmt_reqs(res['audited'])}), mean latency ms "
                           f"{rb.fmt_ms(res['latency_ms'])}; fleet gone "
                           f"{res['deleted']:.1f} s, pods gone {res['pods_deleted']:.1f} s, "
                           f"{rb.fmt_reqs(res['delete_writes'])}, mean latency ms "
                           f"{rb.fmt_ms(res['delete_latency_ms'])}; all requests during the scale-up "
                           f"(API server) {rb.fmt_reqs(res['requests'])}")
            runs.append(run)
        self.report(runs)
        self.ok = True

    def report(self, runs):
        med = statistics.median
        n = self.pods

        def series(key, what):
            vals = [r[what][key] for r in runs]
            return f"{med(vals):.1f} s (runs {', '.join(f'{v:.1f}' for v in vals)})"

        print()
        print(f"== scale-up and deletion: {n} pods; fleets of {self.shards} shards, manual mode; "
              f"{len(runs)} runs ==")
        print(f"ReplicaSet (kube-controller-manager 200/400): 0 -> {n} Ready {series('seconds', 'rs')}; "
              f"pod writes per pod {per_pod(runs[0]['rs']['writes'], n)} (first run); "
              f"deleted (Foreground) {series('deleted', 'rs')}")
        for i, setting in enumerate(self.settings):
            qps = setting[0] if setting else 20.0
            secs = [r[i]["seconds"] for r in runs]
            print(f"fleet at {rb.label(setting)}: 0 -> {n} Ready, every shard assigned "
                  f"{series('seconds', i)}; {n / med(secs):.1f} pods/s = {n / med(secs) / qps:.3f} x QPS")
            if i == 0:
                ratios = [r[0]["seconds"] / r["rs"]["seconds"] for r in runs]
                print(f"  fleet / ReplicaSet, same run: {med(ratios):.2f} median "
                      f"(runs {', '.join(f'{x:.2f}' for x in ratios)}; goal <= 1.0)")
            print(f"  from the POST: first pod with shards {med([r[i]['first'] for r in runs]):.2f} s, "
                  f"half of the pods {med([r[i]['half'] for r in runs]):.1f} s, all created "
                  f"{med([r[i]['created'] for r in runs]):.1f} s, all Ready "
                  f"{med([r[i]['ready'] for r in runs]):.1f} s (medians)")
            print(f"  pod writes per pod, API server (apiserver_request_total): "
                  f"{per_pod(runs[0][i]['writes'], n)}; audit log, agentfleet-controller: "
                  f"{per_pod(runs[0][i]['audited'], n)} (first run)")
            post = med([r[i]["latency_ms"].get("POST", 0) for r in runs])
            if post > 0:
                print(f"  the controller's mean POST latency during the scale-up {post:.1f} ms: "
                      f"{1000 / post:.0f} creates/s one at a time (median)")
            print(f"  deletion: fleet gone {series('deleted', i)}, every pod gone "
                  f"{series('pods_deleted', i)}; ideal {n} / QPS = {n / qps:.1f} s; the controller's "
                  f"pod deletes (audit log): {runs[0][i]['delete_writes'].get('delete pods', 0):.0f} (first run)")


def pod_writes(before, after):
    return {k: v for k, v in rb.delta(before, after).items() if k in POD_WRITES}


def per_pod(writes, n):
    return ", ".join(f"{k} {v / n:.3f}" for k, v in sorted(writes.items())) or "none"


if __name__ == "__main__":
    rb.main(ScaleBench)
