"""Benchmark of the pure CMDB impact engine on a synthetic layered estate.

Builds an estate of about 50,000 CIs and 150,000 relations (network core and access switches,
storage arrays, hypervisor hosts in redundant clusters, VMs, databases, applications in
load-balanced farms, business services, workstations), then times ``build_graph`` and
``impact``/``what_if``/``upstream``/``root_cause_candidates`` for typical and worst-case
questions. Results are printed and appended, with the exact command, to docs/benchmarks.md as a
section of their own (the file is created with a one-line header if missing).

    python -m bench.cmdb_impact [--scale 1.0] [--seed 7] [--no-write]   # from the repo root
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx

from app.cmdb.graph import CI, Redundancy, build_graph, upstream
from app.cmdb.impact import impact, root_cause_candidates, what_if

ROOT = Path(__file__).resolve().parent.parent

HEADER = "# Deskgraph benchmarks\n"


def synthetic_estate(scale: float, seed: int) -> tuple[list[CI], list[tuple[int, int, str]]]:
    """A layered estate; ids are ints, every relation type of the default catalogue is used."""
    rng = random.Random(seed)
    cis: list[CI] = []
    relations: list[tuple[int, int, str]] = []

    def layer(count: int, ci_class: str, *, fixed: bool = False, **fields: object) -> list[int]:
        start = len(cis)
        for i in range(count if fixed else max(1, round(count * scale))):
            cis.append(CI(start + i, f"{ci_class}-{i}", ci_class, **fields))  # type: ignore[arg-type]
        return list(range(start, len(cis)))

    core = layer(1, "network_device", fixed=True)[0]
    access = layer(40, "network_device")
    arrays = layer(10, "storage")
    clusters = layer(200, "cluster", redundancy=Redundancy(min_up_percent=50))
    hosts = layer(2000, "server")
    vms = layer(20000, "virtual_machine")
    dbs = layer(3000, "database")
    farms = layer(1000, "load_balancer", redundancy=Redundancy(min_up=2))
    apps = layer(15000, "application")
    services = layer(500, "business_service", users=200)
    workstations = layer(9000, "workstation")
    for w in workstations:  # end-user assets carry their user
        cis[w] = CI(w, cis[w].name, "workstation", assigned_user=f"user-{w}")

    relations += [(a, core, "connected_to") for a in access]
    for i, h in enumerate(hosts):
        relations += [
            (h, access[i % len(access)], "connected_to"),
            (h, clusters[i % len(clusters)], "member_of"),
            (h, rng.choice(arrays), "depends_on"),
        ]
    for v in vms:
        relations += [(v, rng.choice(clusters), "runs_on"), (v, rng.choice(arrays), "depends_on")]
    for d in dbs:
        relations += [(d, rng.choice(vms), "runs_on"), (d, rng.choice(arrays), "depends_on")]
    for i, a in enumerate(apps):
        relations += [(a, rng.choice(vms), "runs_on"), (a, farms[i % len(farms)], "member_of")]
        relations += [(a, d, "depends_on") for d in rng.sample(dbs, 3)]
        # Calls between the 30 applications of one product; cycles happen, as in real estates.
        block = apps[i - i % 30 : i - i % 30 + 30]
        peer = rng.choice(block)
        if peer != a:
            relations.append((a, peer, "depends_on"))
    relations += [(f, rng.choice(access), "connected_to") for f in farms]
    for s in services:
        relations += [(s, f, "depends_on") for f in rng.sample(farms, 4)]
    relations += [(w, rng.choice(access), "connected_to") for w in workstations]
    return cis, relations


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux), or NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median and best wall time in ms over ``repeat`` runs, and the last answer."""
    times = []
    answer: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = about 50,000 CIs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    cis, relations = synthetic_estate(args.scale, args.seed)
    before = rss_mb()
    gc.disable()  # as a web worker would load it: collector paused, then the graph frozen
    start = time.perf_counter()
    graph = build_graph(cis, relations)
    build_s = time.perf_counter() - start
    gc.freeze()  # a large graph left to the collector costs long pauses on full collections
    gc.enable()
    graph_mb = rss_mb() - before

    by_class: dict[str, list[int]] = {}
    for ci in cis:
        by_class.setdefault(ci.ci_class, []).append(ci.id)
    net = by_class["network_device"]
    core, access = net[0], net[1]
    rng = random.Random(args.seed)
    questions: list[tuple[str, Callable[[], object], int]] = [
        ("impact: core switch (estate-wide)", lambda: impact(graph, [core]), 5),
        ("impact: access switch", lambda: impact(graph, [access]), 20),
        ("impact: storage array", lambda: impact(graph, [by_class["storage"][0]]), 10),
        ("impact: one host (cluster degraded)", lambda: impact(graph, [by_class["server"][0]]), 50),
        ("impact: one VM", lambda: impact(graph, [by_class["virtual_machine"][0]]), 200),
        ("impact: leaf (workstation)", lambda: impact(graph, [by_class["workstation"][0]]), 1000),
        (
            "what-if: 5 random VMs",
            lambda: what_if(graph, rng.sample(by_class["virtual_machine"], 5)),
            100,
        ),
        (
            "upstream: a business service",
            lambda: upstream(graph, by_class["business_service"][0]),
            50,
        ),
        (
            "root causes: 5 applications",
            lambda: root_cause_candidates(graph, by_class["application"][:5]),
            20,
        ),
    ]
    rows = []
    for label, fn, repeat in questions:
        median, best, answer = timed(fn, repeat)
        size = len(getattr(answer, "affected", answer))  # type: ignore[arg-type]
        rows.append(f"| {label} | {size:,} | {median:.2f} | {best:.2f} | {repeat} |")
        print(rows[-1], flush=True)

    command = shlex.join(["python", "-m", "bench.cmdb_impact", *(argv or sys.argv[1:])])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    section = "\n".join(
        [
            "",
            f"## CMDB impact engine, pure networkx ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Command: `{command}` (from the repository root, in the virtualenv), at commit "
            f"{commit or '?'} plus the uncommitted CMDB impact engine.",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, networkx {nx.__version__}; load average "
            f"{os.getloadavg()[0]:.2f} at the end of the run (a shared box: expect up to 2x "
            "between runs). Collector paused while building, then `gc.freeze()`, as a web worker "
            "would load the graph.",
            "",
            f"Estate: {graph.number_of_nodes():,} CIs, {len(relations):,} relations "
            f"({graph.number_of_edges():,} graph edges), seed {args.seed}. "
            f"`build_graph`: {build_s:.2f} s, about {graph_mb:.0f} MB RSS.",
            "",
            "Layers (at scale 1): a core switch, 40 access switches, 2,000 hosts in 200 clusters "
            "(50 % must be up), 10 storage arrays, 20,000 VMs, 3,000 databases, 15,000 "
            "applications in 1,000 load-balanced farms (2 must be up) calling each other within "
            "products of 30, 500 business services, 9,000 workstations with assigned users. "
            "Answer size: affected CIs (impact, what-if), dependencies (upstream), candidates "
            "(root causes). Times include building the result dataclasses, paths and people.",
            "",
            "| question | answer size | median ms | best ms | runs |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    print(section)
    if not args.no_write:
        target = ROOT / "docs" / "benchmarks.md"
        try:
            with target.open("x") as fresh:
                fresh.write(HEADER)
        except FileExistsError:
            pass
        with target.open("a") as out:
            out.write(section)
        print(f"appended to {target}")


if __name__ == "__main__":
    main()
