#!/usr/bin/env python3
"""The chart's Grafana dashboard (charts/agentfleet/files/dashboard.json)
against a running operator and a running pricing-agent.

  dashboard_checks.py DASHBOARD RULES_OUT OPERATOR_METRICS AGENT_METRICS SOURCE_DIR

Silent and exit 0 when it holds; the reason on stderr and exit 1 otherwise:
  - the JSON is a dashboard: a uid and title, panels with unique ids, each with
    the ${datasource} variable and at least one query;
  - every query (the panels' and the variables' label_values) writes out, with
    the Grafana variables given values, as a recording rule to RULES_OUT, for
    `promtool check rules` to parse;
  - every vector selector names a metric that the operator (OPERATOR_METRICS,
    or its code under SOURCE_DIR/controller for a family that appears only
    with a fault or a first sample) or the agent (AGENT_METRICS) exposes, with
    labels it has. The agent's series get `namespace` and `pod` from the
    scrape (a PodMonitor's target labels), so matchers on those two are the
    scrape's to satisfy, not the agent's.
"""
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alert_checks import check_selector, die, parse_scrape, registered, selectors, show  # noqa: E402

TARGET_LABELS = {"namespace", "pod"}


def concrete(expr):
    """The query with Grafana's variables given values Prometheus accepts."""
    expr = expr.replace("$__rate_interval", "5m").replace("${datasource}", "")
    return re.sub(r"\$\{?(namespace|fleet)\}?", ".*", expr)


def queries(dash):
    out, problems = [], []
    if not dash.get("uid") or not dash.get("title"):
        problems.append("no uid or title")
    ids = set()
    for p in dash.get("panels", []):
        where = f"panel {p.get('id')} ({p.get('title', '')!r})"
        if p.get("id") in ids:
            problems.append(f"{where}: a second panel with this id")
        ids.add(p.get("id"))
        if (p.get("datasource") or {}).get("uid") != "${datasource}":
            problems.append(f"{where}: not on the ${{datasource}} variable")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{where}: no query")
        for t in targets:
            if not t.get("expr"):
                problems.append(f"{where}: a query without expr")
            else:
                out.append((f"{where} {t.get('refId')}", t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        text = q.get("query") if isinstance(q, dict) else None
        if v.get("type") == "query" and text:
            m = re.fullmatch(r"label_values\((.*),\s*([a-zA-Z_]+)\)", text.strip())
            if not m:
                problems.append(f"variable {v.get('name')}: not label_values(SELECTOR, LABEL)")
            else:
                out.append((f"variable {v.get('name')}", m.group(1)))
    if not out:
        problems.append("no queries at all")
    return out, problems


def main(dash_path, rules_out, operator_path, agent_path, source_dir):
    dash = json.load(open(dash_path))
    found, problems = queries(dash)
    rules = [{"record": f"dashboard:query_{i}", "expr": concrete(e)} for i, (_, e) in enumerate(found)]
    with open(rules_out, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, sort_keys=False,
                       width=1000)
    op_series, op_declared = parse_scrape(operator_path)
    ag_series, ag_declared = parse_scrape(agent_path)
    families = registered(source_dir)
    agent_names = {n for n, _, _ in ag_series} | ag_declared
    for where, expr in found:
        for metric, matchers in selectors(concrete(expr)):
            if metric in agent_names or (metric and metric.startswith("pricing_agent_")):
                kept = [m for m in matchers if m[0] not in TARGET_LABELS]
                problem, _ = check_selector(metric, kept, ag_series, ag_declared, {})
            else:
                problem, _ = check_selector(metric, matchers, op_series, op_declared, families)
            if problem:
                problems.append(f"{where}: {show(metric, matchers)}: {problem}")
    if problems:
        die(f"{dash_path}:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        die(__doc__)
    main(*sys.argv[1:])
