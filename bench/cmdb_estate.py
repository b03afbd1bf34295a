"""CMDB impact at scale: layered estates of 10,000 to 1,000,000 CIs (bench/cmdb_layered.py).

For each size: the graph loaded as a worker loads it (from PostgreSQL rows through
``app.cmdb.cache.load_graph`` in a fresh process, or from in-memory rows for sizes not put in
the database): seconds and memory; then, on the compact engine, redundancy-aware impact of
typical failures (VM, host, storage array, rack), a datacenter-wide failure, a five-CI what-if,
root-cause candidates and upstream; the same plain impact answered by a recursive SQL query;
and, up to ``--networkx-max``, the networkx engine on the same questions. Results go to
``--out`` as a markdown section with the command, the machine and the date.

    python -m bench.cmdb_estate --sizes 10000,100000 --db-sizes 10000,100000   # repo root
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.cmdb.graph.vocabulary import CI, build_graph, upstream
from app.cmdb.impact import engine as compact_impact
from app.cmdb.impact import reference
from app.cmdb.impact.index import build_compact
from app.cmdb.impact.vector import vectors
from bench._report import Report
from bench.cmdb_database import estate_schema, load_in_fresh_process, recursive_impact
from bench.cmdb_layered import Estate, layered_estate

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TYPICAL = ("vm", "host", "array", "rack")


class Timings:
    """Wall and CPU milliseconds of repeated calls, and the answers' sizes."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.sizes: list[int] = []

    def run(self, fn: Callable[[], object], size: Callable[[object], int]) -> object:
        wall, cpu = time.perf_counter(), time.process_time()
        answer = fn()
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.sizes.append(size(answer))
        return answer

    def row(self, label: str) -> str:
        wall = sorted(self.wall)
        p95 = wall[min(len(wall) - 1, round(0.95 * (len(wall) - 1)))]
        return (
            f"| {label} | {len(wall)} | {statistics.median(self.sizes):,.0f} | "
            f"{statistics.median(wall):.2f} | {p95:.2f} | {statistics.median(self.cpu):.2f} |"
        )


def affected(answer: object) -> int:
    return len(answer.affected)  # type: ignore[attr-defined]


def read_all(answer: object) -> object:
    """Read an answer's services and decisions whole, as the impact panel does."""
    tuple(answer.services), tuple(answer.decisions)  # type: ignore[attr-defined]
    return answer


def read_panel(answer: object) -> object:
    """Read an answer as cmdb/_impact_panel.html does: every service without its path, the
    25 nearest with their paths, the first 25 decisions."""
    answer.brief_services()  # type: ignore[attr-defined]
    tuple(answer.services[:25]), tuple(answer.decisions[:25])  # type: ignore[attr-defined]
    return answer


def live(estate: Estate, kind: str) -> list[int]:
    """The CIs of a kind that fail when asked (retired and planned ones are ignored)."""
    status = {row[0]: row[3] for row in estate.rows}
    return [c for c in estate.by_kind[kind] if status[c] in ("in_service", "in_maintenance")]


def questions(
    engine: object, graph: object, estate: Estate, picks: int, rng: random.Random
) -> list[tuple[str, Timings]]:
    """Every question asked of one engine (the compact one, or the networkx one)."""
    rows = []
    pooled = Timings()
    for kind in TYPICAL:
        timings = Timings()
        for ci in rng.choices(live(estate, kind), k=picks):
            timings.run(lambda ci=ci: engine.impact(graph, [ci]), affected)
        pooled.wall += timings.wall
        pooled.cpu += timings.cpu
        pooled.sizes += timings.sizes
        rows.append((f"impact: one {kind}", timings))
    rows.insert(0, ("impact: typical (the four kinds below, pooled)", pooled))
    read = Timings()  # the compact engine makes paths and decisions when read: read them all
    for ci in rng.choices(live(estate, "array"), k=max(5, picks // 5)):
        read.run(lambda ci=ci: read_all(engine.impact(graph, [ci])), affected)
    rows.append(("impact: one array, every service (with path) and decision read", read))
    panel = Timings()
    for ci in rng.choices(live(estate, "array"), k=max(5, picks // 5)):
        panel.run(lambda ci=ci: read_panel(engine.impact(graph, [ci])), affected)
    rows.append(("impact: one array, as the impact panel reads it", panel))
    dc = Timings()
    for _ in range(3):
        for number in (0, 1):
            dc.run(lambda n=number: engine.impact(graph, estate.datacenter(n)), affected)
    rows.append(("impact: datacenter-wide", dc))
    read = Timings()
    for number in (0, 1):
        read.run(lambda n=number: list(engine.impact(graph, estate.datacenter(n)).affected), len)
    rows.append(("impact: datacenter-wide, every affected CI read", read))
    what_if = Timings()
    machines = live(estate, "vm") + live(estate, "host")
    for _ in range(picks):
        chosen = rng.sample(machines, 5)
        what_if.run(lambda c=chosen: engine.what_if(graph, c), affected)
    rows.append(("what-if: 5 VMs and hosts", what_if))
    causes = Timings()
    for host in rng.choices(live(estate, "host"), k=max(5, picks // 5)):
        hit = [a.ci_id for a in engine.impact(graph, [host]).affected[1:]]
        incidents = rng.sample(hit, min(5, len(hit)))
        causes.run(lambda i=incidents: engine.root_cause_candidates(graph, i), len)
    rows.append(("root causes: 5 CIs hit by one host", causes))
    needs = Timings()
    for service in rng.choices(estate.by_kind["service"], k=max(5, picks // 5)):
        needs.run(lambda s=service: engine.upstream(graph, s), len)
    rows.append(("upstream: a business service", needs))
    return rows


class NetworkxEngine:
    """The networkx engine behind the compact engine's function names."""

    impact = staticmethod(reference.impact)
    what_if = staticmethod(reference.what_if)
    root_cause_candidates = staticmethod(reference.root_cause_candidates)
    upstream = staticmethod(upstream)


def recursive_sql(url: str, estate: Estate, index: object, picks: int, rng: random.Random) -> str:
    """The plain impact by recursive SQL, checked against the engine's affected CIs."""
    engine = create_engine(url)
    lines = []
    with Session(engine) as session:
        recursive_impact(session, estate.by_kind["vm"][0])  # connected, planned once
        for kind in (*TYPICAL, "datacenter"):
            sql, fast = Timings(), Timings()
            for ci in rng.choices(live(estate, kind), k=picks if kind != "datacenter" else 2):
                found = sql.run(lambda ci=ci: recursive_impact(session, ci), len)
                answer = fast.run(lambda ci=ci: compact_impact.impact(index, [ci]), affected)
                expected = {a.ci_id for a in answer.affected}  # type: ignore[attr-defined]
                assert found == expected, f"SQL and engine disagree on {kind} {ci}"
            per_ci = [w * 1000 / max(1, s) for w, s in zip(sql.wall, sql.sizes, strict=True)]
            fast_ci = [w * 1000 / max(1, s) for w, s in zip(fast.wall, fast.sizes, strict=True)]
            lines.append(
                f"| {kind} | {len(sql.wall)} | {statistics.median(sql.sizes):,.0f} | "
                f"{statistics.median(sql.wall):.1f} | {statistics.median(per_ci):.1f} | "
                f"{statistics.median(fast.wall):.2f} | {statistics.median(fast_ci):.2f} |"
            )
    engine.dispose()
    return "\n".join(lines)


def in_memory_load(estate: Estate) -> tuple[dict[str, float], object]:
    """Build the index from in-memory rows in this process: seconds, RSS growth, the index."""
    before = _rss()
    gc.disable()
    start, cpu = time.perf_counter(), time.process_time()
    index = build_compact(estate.rows, estate.relations)
    vectors(index)  # the impact engine's arrays, made by the loader as well
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.enable()
    return {"seconds": seconds, "cpu": cpu, "rss_mb": _rss() - before}, index


def _rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_size(size: int, args: argparse.Namespace) -> list[str]:
    out = [f"### {size:,} CIs", ""]
    start = time.perf_counter()
    estate = layered_estate(size, args.seed)
    out.append(
        f"Estate: {len(estate.rows):,} CIs, {len(estate.relations):,} relations "
        f"({len(estate.relations) / len(estate.rows):.2f} per CI), generated in "
        f"{time.perf_counter() - start:.1f} s. Kinds: "
        + ", ".join(f"{k} {len(v):,}" for k, v in estate.by_kind.items())
        + "."
    )
    out.append("")
    index = None
    for round_ in range(args.rounds if size not in args.db_sizes else 0):
        index = None
        load, index = in_memory_load(estate)
        out.append(
            f"Loaded from in-memory rows (not from the database), round {round_ + 1}: "
            f"{load['seconds']:.2f} s ({load['cpu']:.2f} s CPU), RSS growth "
            f"{load['rss_mb']:.0f} MB."
        )
    if index is None:
        index = build_compact(estate.rows, estate.relations)
    gc.freeze()
    sql_lines = ""
    if size in args.db_sizes:
        with estate_schema(args.database_url, estate, f"bench_cmdb_{os.getpid()}") as (url, secs):
            out += [f"Inserted into PostgreSQL (COPY) in {secs:.1f} s.", ""]
            out += ["| load | round | seconds | reload s | RSS growth MB | RSS MB | peak MB |"]
            out.append("|---" * 7 + "|")
            gc_rows = []
            for round_ in range(args.rounds):
                load = load_in_fresh_process(url)
                out.append(
                    f"| PostgreSQL rows, fresh process | {round_ + 1} | {load['seconds']:.2f} | "
                    f"{load['reload_seconds']:.2f} | {load['rss_mb']:.0f} | "
                    f"{load['rss_total_mb']:.0f} | {load['peak_mb']:.0f} |"
                )
                gc_rows.append(
                    f"{load['gc_before_ms']:.0f} / {load['gc_frozen_ms']:.1f} / "
                    f"{load['gc_unfrozen_ms']:.0f}"
                )
            out += ["", "Full collection (`gc.collect()`) in that process, ms, before the load "
                    "/ after it (graph frozen, as loaded) / graph unfrozen: "
                    + "; ".join(gc_rows) + ".", ""]  # fmt: skip
            sql_lines = recursive_sql(url, estate, index, args.sql_picks, random.Random(size))
    out += ["", "| question | runs | median answer size | median ms | p95 ms | median CPU ms |"]
    out.append("|---|---|---|---|---|---|")
    for round_ in range(args.rounds):
        rng = random.Random(args.seed * 1000 + round_)
        for label, timings in questions(compact_impact, index, estate, args.picks, rng):
            out.append(timings.row(f"{label} (round {round_ + 1})"))
    if sql_lines:
        out += ["", "Plain impact by recursive SQL (`WITH RECURSIVE` over `ci_relations`, "
                "PostgreSQL), checked equal to the engine's affected CIs:", "",
                "| failing | runs | median affected | SQL median ms | SQL µs per CI | "
                "engine median ms | engine µs per CI |", "|---|---|---|---|---|---|---|",
                sql_lines]  # fmt: skip
    if size <= args.networkx_max:
        out += ["", *networkx_rows(estate, args)]
    print("\n".join(out), file=sys.stderr, flush=True)
    return out


def networkx_rows(estate: Estate, args: argparse.Namespace) -> list[str]:
    """The networkx engine on the same estate and questions (fewer picks), for comparison."""
    cis = [
        CI(ci_id, name, ci_class, status=status, redundancy=rule, users=users, assigned_user=user)
        for ci_id, name, ci_class, status, rule, users, user in estate.rows
    ]
    before = _rss()
    gc.disable()
    start = time.perf_counter()
    graph = build_graph(cis, estate.relations)
    seconds = time.perf_counter() - start
    gc.freeze()
    gc.enable()
    out = [
        f"networkx engine (`app.cmdb.impact.reference` on `build_graph`, from `CI` objects): "
        f"built in "
        f"{seconds:.2f} s, RSS growth {_rss() - before:.0f} MB.",
        "",
        "| question (networkx) | runs | median answer size | median ms | p95 ms | median CPU ms |",
        "|---|---|---|---|---|---|",
    ]
    rng = random.Random(args.seed * 1000)
    for label, timings in questions(NetworkxEngine, graph, estate, max(5, args.picks // 5), rng):
        out.append(timings.row(label))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--sizes", default="10000,100000,1000000", help="estate sizes, comma-separated")
    add("--db-sizes", default="10000,100000", help="sizes loaded from PostgreSQL rows")
    add("--database-url", default=POSTGRES, help="a schema of its own is made and dropped")
    add("--picks", type=int, default=100, help="failures picked per kind and question")
    add("--sql-picks", type=int, default=10, help="failures per kind asked of SQL")
    add("--rounds", type=int, default=2, help="repeat loads and questions")
    add("--networkx-max", type=int, default=100000, help="largest size run on networkx")
    add("--seed", type=int, default=7)
    add("--out", default="/tmp/bench-cmdb.md", help="markdown section appended here")
    args = parser.parse_args(argv)
    args.db_sizes = {int(s) for s in args.db_sizes.split(",") if s}
    report = Report("bench.cmdb_estate", "CMDB at scale: compact engine", argv)
    body = []
    for size in (int(s) for s in args.sizes.split(",")):
        body += bench_size(size, args)
        body.append("")
        gc.unfreeze()
        gc.collect()
    report.append(args.out, body)


if __name__ == "__main__":
    main()
