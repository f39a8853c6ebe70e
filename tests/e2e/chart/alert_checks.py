#!/usr/bin/env python3
"""The suggested alerts of docs/operations.md against a running operator.

Subcommands (chart_checks.py's style: silent and exit 0 when the check holds,
the reason on stderr and exit 1 when it does not):

  rules DOC OUT
      Writes the alert rules YAML block of DOC (the fenced block under
      "Suggested alerts") to OUT, for `promtool check rules OUT`.
  selectors RULES METRICS SOURCE_DIR
      Every vector selector of every alert expression (metric name plus its
      label matchers) must match at least one series of METRICS, a scrape of
      the operator's /metrics, unless the series it selects appear only with
      a fault or a first sample. The operator prints nothing for a family
      before its first sample (the source-error counter, the hand-off
      histogram), so such a family counts as known when the scrape declares it
      in # HELP/# TYPE, or when the operator's code registers it
      (SOURCE_DIR/controller/) with every label the selector names. Then each
      label matcher must match one value the label can have: a value exposed
      now, or one of FAULT_VALUES (HTTP codes for rest_client_requests_total,
      queue/leases for the source errors). A matcher on any other label value
      that no series has (leader_election_master_status{name="x"} when the
      Lease is "y") fails. What is accepted without a series is printed.
  rule-spec RENDERED OUT LEASE
      Writes the spec (groups) of the chart's rendered PrometheusRule to OUT,
      for `promtool check rules OUT`; its leader alert must select LEASE.
  unit-tests RULES METRICS LEASE OUT [FIRING...]
      Writes a `promtool test rules` file: the rules evaluated on the scraped
      series held for an hour must fire exactly the alerts named FIRING
      (the healthy, leading operator: none of the operator's alerts);
      the same series with leader_election_master_status{name=LEASE} at 0, and
      with that series gone, must fire AgentfleetNoLeader.
"""
import glob
import json
import os
import re
import sys

import yaml


def die(message):
    print(message, file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------ the doc
def rules(doc_path, out_path):
    text = open(doc_path).read()
    heading = text.find("### Suggested alerts")
    if heading < 0:
        die(f"{doc_path} has no '### Suggested alerts' section")
    m = re.compile(r"^```ya?ml\n(.*?)^```", re.M | re.S).search(text, heading)
    if not m:
        die(f"{doc_path}: no ```yaml block under 'Suggested alerts'")
    block = m.group(1)
    doc = yaml.safe_load(block)
    alerts = [r for g in (doc or {}).get("groups", []) for r in g.get("rules", [])]
    if not alerts or any("alert" not in r or "expr" not in r for r in alerts):
        die(f"{doc_path}: the alerts block has no rules, or a rule without alert and expr")
    with open(out_path, "w") as f:
        f.write(block)


def load_alerts(rules_path):
    doc = yaml.safe_load(open(rules_path))
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


# ---------------------------------------------------------------- the scrape
LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def unescape(value):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse_scrape(path):
    """(series, declared): series as (name, {label: value}, value); declared
    the family names of # HELP and # TYPE lines."""
    series, declared = [], set()
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                declared.add(parts[2])
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)", line)
        if not m:
            die(f"{path}: cannot read the sample line {line!r}")
        labels = {}
        body = m.group(3) or ""
        pos = 0
        while pos < len(body):
            lm = LABEL_RE.match(body, pos)
            if not lm:
                die(f"{path}: cannot read the labels of {line!r}")
            labels[lm.group(1)] = unescape(lm.group(2))
            pos = lm.end()
        series.append((m.group(1), labels, m.group(4)))
    return series, declared


# ------------------------------------------------------------- PromQL selectors
# Names that are not metrics where they stand: keywords, and the words whose
# parenthesis holds label names rather than an expression.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"}
# Aggregations may be followed by `by (...)` or `without (...)` before their "(".
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}


def read_string(expr, i):
    """The string literal at expr[i] (a quote): (its value, the index after it)."""
    q = expr[i]
    j = i + 1
    while j < len(expr) and expr[j] != q:
        j += 2 if expr[j] == "\\" and q != "`" else 1
    if j >= len(expr):
        raise ValueError(f"unterminated string in {expr!r}")
    raw = expr[i + 1:j]
    return (raw if q == "`" else unescape(raw)), j + 1


def read_matchers(expr, i):
    """The matchers of the {...} at expr[i]: ([(label, op, value)], index after)."""
    j, out = i + 1, []
    while True:
        while j < len(expr) and expr[j] in " \t\n,":
            j += 1
        if expr[j] == "}":
            return out, j + 1
        m = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*").match(expr, j)
        if not m:
            raise ValueError(f"cannot read the matchers at {expr[j:j + 30]!r}")
        value, j = read_string(expr, m.end())
        out.append((m.group(1), m.group(2), value))


def skip_group(expr, i, open_char, close_char):
    depth = 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            _, i = read_string(expr, i)
            continue
        if c == open_char:
            depth += 1
        elif c == close_char:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced {open_char}{close_char} in {expr!r}")


def selectors(expr):
    """Every vector selector of a PromQL expression: [(metric or None, matchers)]."""
    out, i = [], 0
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            _, i = read_string(expr, i)
        elif c == "[":
            i = skip_group(expr, i, "[", "]")  # a range or subquery duration
        elif c == "{":
            matchers, i = read_matchers(expr, i)
            out.append((None, matchers))
        elif c.isdigit() or (c == "." and i + 1 < len(expr) and expr[i + 1].isdigit()):
            m = re.compile(r"[0-9.]+(e[+-]?[0-9]+)?[a-zA-Z0-9]*", re.I).match(expr, i)
            i = m.end()  # a number or a duration
        elif c.isalpha() or c in "_:":
            m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(expr, i)
            word, i = m.group(0), m.end()
            j = i
            while j < len(expr) and expr[j].isspace():
                j += 1
            nxt = expr[j] if j < len(expr) else ""
            if word.lower() in LABEL_LISTS and nxt == "(":
                i = skip_group(expr, j, "(", ")")
            elif nxt == "(" or word.lower() in KEYWORDS | LABEL_LISTS | AGGREGATIONS:
                continue  # a function, an aggregation or a keyword
            elif nxt == "{":
                matchers, i = read_matchers(expr, j)
                out.append((word, matchers))
            else:
                out.append((word, []))
        else:
            i += 1
    return out


def matches(labels, matcher):
    name, op, value = matcher
    got = labels.get(name, "")
    if op == "=":
        return got == value
    if op == "!=":
        return got != value
    hit = re.fullmatch(value, got) is not None
    return hit if op == "=~" else not hit


def show(metric, matchers):
    inner = ",".join(f'{n}{o}"{v}"' for n, o, v in matchers)
    return f"{metric or ''}{{{inner}}}" if matchers else metric


# ----------------------------------------------------- what the code registers
REGISTER_RE = re.compile(
    r'Register(Counter|Gauge|Histogram)\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"\s*,'
    r'\s*(?:"(?:[^"\\]|\\.)*"\s*)+,\s*\{([^}]*)\}', re.S)


def registered(source_dir):
    """{family: (type, [label names])} of every literal Register* call in controller/."""
    out = {}
    for path in glob.glob(os.path.join(source_dir, "controller", "**", "*.cpp"), recursive=True):
        for m in REGISTER_RE.finditer(open(path).read()):
            out[m.group(2)] = (m.group(1).lower(), re.findall(r'"([^"]*)"', m.group(3)))
    return out


def family_of(sample, families):
    """The registered family a sample name belongs to, and the labels it may carry."""
    if sample in families:
        return sample, families[sample][1]
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample[: -len(suffix)] if sample.endswith(suffix) else None
        if base and families.get(base, ("",))[0] == "histogram":
            return base, families[base][1] + (["le"] if suffix == "_bucket" else [])
    return None, []


# Label values that appear only with a fault, so a healthy operator exposes
# none of them: a matcher on such a label must match one of these.
FAULT_VALUES = {
    # controller/app/manager.cpp: the HTTP status code, "<error>" when no answer came.
    ("rest_client_requests_total", "code"): {str(c) for c in range(100, 600)} | {"<error>"},
    # controller/fleet/reconciler/reconciler.cpp: SourceError(ns, name, "queue" | "leases").
    ("agentfleet_source_errors_total", "source"): {"queue", "leases"},
}


def check_selector(metric, matchers, series, declared, families):
    """None when the selector can select series of this operator, else the reason.
    A second value says why it matches no series now (for the log)."""
    full = matchers + ([("__name__", "=", metric)] if metric else [])
    if any(all(matches({**labels, "__name__": name}, m) for m in full)
           for name, labels, _ in series):
        return None, None
    if metric is None:
        return "a selector without a metric name matches no series", None
    exposed = [labels for name, labels, _ in series if name == metric]
    base, registered_labels = family_of(metric, families)
    if not exposed and metric not in declared and not base:
        return "the operator neither exposes nor registers this metric", None
    known = set(registered_labels) | {k for labels in exposed for k in labels}
    open_labels = []
    for label, op, value in matchers:
        if label not in known:
            return f"{metric} has no label {label} (it has {sorted(known)})", None
        possible = {labels[label] for labels in exposed if label in labels}
        possible |= FAULT_VALUES.get((base or metric, label), set())
        if not possible:
            open_labels.append(label)  # no series yet and no fixed set of values
            continue
        if not any(matches({label: v}, (label, op, value)) for v in possible):
            shown = sorted(possible)
            more = f" (and {len(shown) - 8} more)" if len(shown) > 8 else ""
            return (f"{label}{op}{json.dumps(value)} matches none of the values {metric} can have: "
                    + ", ".join(shown[:8]) + more), None
    why = "no series yet" if not exposed else "its series now have other label values"
    return None, (f"{why}; it can match values that appear with a fault or its first sample"
                  + (f" (labels {open_labels} unconstrained)" if open_labels else ""))


def check_selectors(rules_path, metrics_path, source_dir):
    series, declared = parse_scrape(metrics_path)
    families = registered(source_dir)
    problems, not_yet = [], []
    for rule in load_alerts(rules_path):
        try:
            found = selectors(rule["expr"])
        except ValueError as e:
            problems.append(f"{rule['alert']}: {e}")
            continue
        if not found:
            problems.append(f"{rule['alert']}: no vector selector in {rule['expr']!r}")
        for metric, matchers in found:
            problem, note = check_selector(metric, matchers, series, declared, families)
            if problem:
                problems.append(f"{rule['alert']}: {show(metric, matchers)}: {problem}")
            elif note:
                not_yet.append(f"{rule['alert']}: {show(metric, matchers)}: {note}")
    if problems:
        die("alert expressions of docs/operations.md select nothing the operator exposes:\n  "
            + "\n  ".join(problems))
    for line in not_yet:
        print(line)


# ------------------------------------------------------ promtool test rules
def series_text(name, labels):
    inner = ",".join(f'{k}={json.dumps(v)}' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def number(value):
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        return {"+Inf": "Inf", "-Inf": "-Inf"}.get(value, value)
    return repr(v)


HOUR = 60  # minutes the input series last; every `for:` and range is shorter


def input_series(series, leader_value=None, drop_leader=False, lease=None):
    out = []
    for name, labels, value in series:
        is_leader = name == "leader_election_master_status" and labels.get("name") == lease
        if is_leader and drop_leader:
            continue
        if is_leader and leader_value is not None:
            value = leader_value
        labels = {**labels, "job": "agentfleet", "instance": "operator:8080"}
        out.append({"series": series_text(name, labels), "values": f"{number(value)}+0x{HOUR}"})
    return out


def firing_tests(alert_names, firing, case):
    """One promql_expr_test per alert: 1 when it fires at the end, else 0. The
    comment names the case in promtool's report of a failure."""
    tests = []
    for a in alert_names:
        tests.append({
            "expr": f'(count(ALERTS{{alertname="{a}",alertstate="firing"}}) or vector(0)) > bool 0'
                    f'  # {case}: must {"" if a in firing else "not "}fire',
            "eval_time": f"{HOUR}m",
            "exp_samples": [{"labels": "{}", "value": 1 if a in firing else 0}],
        })
    return tests


def unit_tests(rules_path, metrics_path, lease, out_path, *firing):
    series, _ = parse_scrape(metrics_path)
    if not any(n == "leader_election_master_status" and l.get("name") == lease and v == "1"
               for n, l, v in series):
        die(f"the scrape has no leader_election_master_status{{name=\"{lease}\"}} 1: "
            "the operator is not the leader")
    names = [r["alert"] for r in load_alerts(rules_path)]
    unknown = sorted(set(firing) - set(names))
    if unknown:
        die(f"no such alerts in the rules: {unknown}")
    no_leader = {"AgentfleetNoLeader"} | set(firing)
    cases = [
        ("the scraped series of the leading operator", input_series(series), set(firing)),
        (f"the leader gauge of Lease {lease} at 0",
         input_series(series, leader_value="0", lease=lease), no_leader),
        (f"no leader gauge of Lease {lease}",
         input_series(series, drop_leader=True, lease=lease), no_leader),
    ]
    doc = {
        "rule_files": [os.path.abspath(rules_path)],
        "evaluation_interval": "1m",
        "tests": [{"name": case, "interval": "1m", "input_series": inputs,
                   "promql_expr_test": firing_tests(names, want, case)}
                  for case, inputs, want in cases],
    }
    with open(out_path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False, width=1000)


# ------------------------------------------------------ the chart's rule
def rule_spec(rendered_path, out_path, lease):
    """The rendered PrometheusRule's spec (its groups) to OUT, for promtool;
    the leader alert must select the release's Lease LEASE by name, and the
    rules must be the doc's otherwise."""
    docs = [d for d in yaml.safe_load_all(open(rendered_path)) if d]
    if len(docs) != 1 or docs[0].get("kind") != "PrometheusRule":
        die(f"{rendered_path}: not one PrometheusRule")
    spec = docs[0].get("spec") or {}
    alerts = {r.get("alert"): r for g in spec.get("groups", []) for r in g.get("rules", [])}
    leader = alerts.get("AgentfleetNoLeader", {}).get("expr", "")
    if f'name="{lease}"' not in leader or "=~" in leader:
        die(f"the leader alert does not select the Lease {lease}: {leader}")
    with open(out_path, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=False, width=1000)


COMMANDS = {
    "rules": (rules, 2),
    "rule-spec": (rule_spec, 3),
    "selectors": (check_selectors, 3),
    "unit-tests": (unit_tests, None),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ARGS...")
    fn, n = COMMANDS[sys.argv[1]]
    args = sys.argv[2:]
    if (n is not None and len(args) != n) or (n is None and len(args) < 4):
        die(f"{sys.argv[1]}: wrong number of arguments (see {sys.argv[0]}'s docstring)")
    fn(*args)
