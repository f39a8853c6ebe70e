#!/usr/bin/env python3
"""Writes docs/crd-reference.md from the CRD, the single source:

    python3 scripts/gen-crd-reference.py crds/agentfleet.io_pricingagentfleets.yaml > docs/crd-reference.md

A test regenerates it and compares, so the reference cannot drift from the CRD.
"""
import sys

import yaml


NOTES = [
    "## Notes",
    "",
    "- **Modes.** Without `spec.autoscaling` the fleet runs `spec.replicas` pods (1 when unset); "
    "`kubectl scale` and an external HorizontalPodAutoscaler work through the scale subresource. "
    "With `spec.autoscaling`, `spec.replicas` must be absent, so a manual scale is refused with a clear message.",
    "- **Behavior defaults** are HorizontalPodAutoscaler v2's, filled field by field by the operator "
    "(not by the schema, because they differ between directions): scale up with a 0 s window by up to "
    "max(100 %, 4 pods) per 15 s; scale down with a 300 s window by up to 100 % per 15 s; `selectPolicy` Max.",
    "- **`spec.shards` is immutable**: resharding is not supported; create a new fleet instead. "
    "`maxReplicas` and `replicas` may not exceed it, since an agent without a shard would sit idle.",
    "- **Credentials** come only from Secrets in the fleet's namespace (`*SecretRef`). URLs are refused "
    "in every form that could carry one: a password in the user information (Redis and PostgreSQL URLs may "
    "name a user, an ACL user or a role, which is no secret), any user information in an http(s) URL, a "
    "query on a Redis, SQS or RabbitMQ URL, and a PostgreSQL `password=` or `sslpassword=` parameter "
    "(any case, or a percent-encoded name). Those rules sit on the enclosing object so that the API "
    "server's error never quotes the URL; the operator refuses the same (condition `Ready=False "
    "InvalidSpec`, no pod touched) for a fleet stored before the rules existed. Every rule has refused "
    "manifests in `tests/integration/fleet/api/bad_manifests/`, with the message each one gets.",
    "- **`spec.template`** is a core/v1 PodTemplateSpec. The schema checks the parts the operator relies "
    "on (labels, annotations, containers with a name and an image) and keeps every other field "
    "(`x-kubernetes-preserve-unknown-fields`); the API server validates the rest when it creates the pods.",
    "- **Names.** A fleet's name is at most 63 characters: pods carry the label `agentfleet.io/fleet=<name>` "
    "(also `status.selector`), and a label value is at most 63 characters; pod names `<name>-<n>` then stay "
    "far below the 253 a pod name may have. Pods also carry "
    "`app.kubernetes.io/managed-by=agentfleet-controller`. The annotation `agentfleet.io/paused: \"true\"` "
    "on a fleet stops scaling decisions; the finalizer `agentfleet.io/lease-cleanup` deletes the fleet's "
    "lease records before the fleet goes.",
    "",
]


def esc(text):
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text.replace("<", "\\<").replace(">", "\\>")


def type_of(node):
    t = node.get("type", "")
    if t == "array":
        return f"[]{type_of(node.get('items', {}))}"
    if t == "object" and "additionalProperties" in node:
        return f"map[string]{type_of(node['additionalProperties'])}"
    if node.get("format"):
        return f"{t} ({node['format']})"
    return t or "any"


def bounds(node):
    out = []
    if "enum" in node:
        out.append("one of " + ", ".join(f"`{v}`" for v in node["enum"]))
    if "minimum" in node and "maximum" in node:
        out.append(f"{node['minimum']}..{node['maximum']}")
    elif "minimum" in node:
        out.append(f"≥ {node['minimum']}")
    elif "maximum" in node:
        out.append(f"≤ {node['maximum']}")
    if "minLength" in node:
        out.append(f"length ≥ {node['minLength']}")
    if "maxLength" in node:
        out.append(f"length ≤ {node['maxLength']}")
    if "pattern" in node:
        out.append(f"pattern `{node['pattern']}`")
    if "minItems" in node:
        out.append(f"≥ {node['minItems']} items")
    if "maxItems" in node:
        out.append(f"≤ {node['maxItems']} items")
    if "maxProperties" in node:
        out.append(f"≤ {node['maxProperties']} entries")
    if node.get("x-kubernetes-list-type") == "map":
        keys = ", ".join(node.get("x-kubernetes-list-map-keys", []))
        out.append(f"list map keyed by {keys}")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        out.append("unknown fields kept")
    return "; ".join(out)


def default(node):
    if "default" not in node:
        return ""
    return "`" + (yaml.safe_dump(node["default"], default_flow_style=True).strip()
                  .removesuffix("...").strip()) + "`"


def rules(node):
    out = []
    for r in node.get("x-kubernetes-validations", []):
        where = f" (reported at `{r['fieldPath']}`)" if "fieldPath" in r else ""
        out.append(f"- `{r['rule']}` — “{r['message']}”{where}")
    return out


def objects(node, path, out):
    """Every object with properties, depth first, with its path."""
    if node.get("type") == "array":
        objects(node.get("items", {}), path + "[]", out)
        return
    if "properties" not in node:
        return
    out.append((path, node))
    for name, child in node["properties"].items():
        objects(child, f"{path}.{name}" if path else name, out)


def main():
    crd = yaml.safe_load(open(sys.argv[1]))
    spec = crd["spec"]
    names = spec["names"]
    lines = [
        "<!-- Generated by scripts/gen-crd-reference.py from crds/agentfleet.io_pricingagentfleets.yaml. Do not edit. -->",
        f"# {names['kind']} reference",
        "",
        f"Group `{spec['group']}`, scope {spec['scope']}, kind `{names['kind']}`, "
        f"plural `{names['plural']}`, singular `{names['singular']}`, "
        f"short names {', '.join('`' + n + '`' for n in names.get('shortNames', []))}, "
        f"categories {', '.join('`' + n + '`' for n in names.get('categories', []))}.",
        "",
    ] + NOTES
    for version in spec["versions"]:
        flags = [f for f in ("served", "storage") if version.get(f)]
        lines += [f"## Version {version['name']} ({', '.join(flags)})", ""]
        sub = version.get("subresources", {})
        if sub:
            lines.append("Subresources:")
            if "status" in sub:
                lines.append("- `status`: the operator writes `.status` through it.")
            if "scale" in sub:
                s = sub["scale"]
                lines.append(
                    f"- `scale`: replicas `{s['specReplicasPath']}`, status replicas "
                    f"`{s['statusReplicasPath']}`, selector `{s.get('labelSelectorPath', '')}` "
                    "(`kubectl scale` and a HorizontalPodAutoscaler use it).")
            lines.append("")
        cols = version.get("additionalPrinterColumns", [])
        if cols:
            lines += ["### Columns of `kubectl get`", "",
                      "| Column | Shown | JSON path | Description |", "|---|---|---|---|"]
            for c in cols:
                shown = "`-o wide`" if c.get("priority", 0) > 0 else "always"
                lines.append(f"| {c['name']} | {shown} | `{esc(c['jsonPath'])}` | {esc(c.get('description', ''))} |")
            lines.append("")
        found = []
        objects(version["schema"]["openAPIV3Schema"], "", found)
        for path, node in found:
            if path in ("",):
                title = names["kind"]
            else:
                title = f"`{path}`"
            description = node.get("description", "")
            if path == "metadata":
                description = "Standard object metadata; the schema checks only the name."
            lines += [f"### {title}", "", esc(description), ""]
            required = set(node.get("required", []))
            lines += ["| Field | Type | Required | Default | Bounds | Description |",
                      "|---|---|---|---|---|---|"]
            for name, child in node["properties"].items():
                if path == "" and name == "metadata":
                    # The API server allows nothing but name and generateName
                    # in metadata's schema, not even a description.
                    desc = "Standard object metadata; the schema checks only the name."
                else:
                    desc = esc(child.get("description", ""))
                lines.append(
                    f"| `{name}` | {type_of(child)} | {'yes' if name in required else ''} | "
                    f"{default(child)} | {esc(bounds(child))} | {desc} |")
            lines.append("")
            rs = rules(node)
            for name, child in node["properties"].items():
                if "properties" in child:
                    continue  # listed in the child's own section
                for r in rules(child):
                    rs.append(r.replace("- ", f"- on `{name}`: ", 1))
            if rs:
                lines += ["Rules (CEL), each with the message the API server answers:", ""] + rs + [""]
    sys.stdout.write("\n".join(lines).rstrip() + "\n")


if __name__ == "__main__":
    main()
