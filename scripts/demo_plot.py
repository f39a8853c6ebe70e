#!/usr/bin/env python3
"""Draws the timeline of `make demo` (the CSV of demo_driver.py --timeline) as
a PNG: queue depth and tasks priced, desired and ready replicas, shards moving
between agents (still worked by the old owner) and shards no agent holds,
over the same time axis.

  demo_plot.py TIMELINE.csv OUT.png
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # no display: the demo runs on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, name):
    """(seconds, value) of the samples that have `name`; the status may lack it."""
    xs, ys = [], []
    for r in rows:
        if r[name] != "":
            xs.append(float(r["seconds"]))
            ys.append(float(r[name]))
    return xs, ys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"demo_plot: {sys.argv[1]} has no samples", file=sys.stderr)
        return 1
    fig, (work, agents, shards) = plt.subplots(3, 1, sharex=True, figsize=(9, 7))
    fig.suptitle("make demo: a burst of pricing tasks, scale-up, drain, scale-down")

    work.plot(*column(rows, "queue_depth"), label="queue depth", color="tab:red")
    work.set_ylabel("tasks")
    priced = work.twinx()
    priced.plot(*column(rows, "priced"), label="tasks priced", color="tab:green")
    priced.set_ylabel("priced (cumulative)")
    lines = work.get_lines() + priced.get_lines()
    work.legend(lines, [line.get_label() for line in lines], loc="upper right")

    agents.step(*column(rows, "desired"), where="post", label="desired replicas", linestyle="--")
    agents.step(*column(rows, "ready"), where="post", label="ready replicas")
    agents.set_ylabel("agents")
    agents.legend(loc="upper right")

    shards.step(*column(rows, "moving"), where="post", label="shards moving", color="tab:purple")
    shards.step(*column(rows, "unowned"), where="post", label="shards no agent holds (unworked)",
                color="tab:gray")
    shards.set_ylabel("shards")
    shards.set_xlabel("seconds since the demo's start")
    shards.legend(loc="upper right")

    for ax in (work, agents, shards):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
