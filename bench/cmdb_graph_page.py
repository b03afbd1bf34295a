"""The CMDB graph page at scale: its work on the first request after a CMDB change, before and
after the neighbourhood came from the compact index (layered estates of bench/cmdb_layered.py,
in memory).

Before, the page laid out the neighbourhood on the networkx graph of the whole CMDB
(``layout.neighbourhood(cmdb.graph, ...)``), which the first use after each revision built
from the index (``CompactGraph.to_networkx``, with the collector paused and the result frozen,
as ``app.cmdb.cache`` does). Now it finds the CIs on the index (``neighbourhood.around``) and
lays out the small graph of just those (``layout.draw``): nothing is built per revision. Both
start from the cached index (its load, about 1 s from PostgreSQL at 100,000 CIs, is common to
both: bench/cmdb_estate.py) and colour the picture with the same impact, timed apart. Every
picture is checked equal both ways. Results go to ``--out`` as markdown with the command, the
machine, its load and the date.

    python -m bench.cmdb_graph_page --sizes 10000,100000   # repository root, virtualenv on
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.cmdb.graph import layout, neighbourhood
from app.cmdb.impact import engine as compact_impact
from app.cmdb.impact.index import build_compact
from bench._report import Report
from bench.cmdb_layered import layered_estate

KINDS = (
    "vm", "host", "array", "rack", "hv-cluster", "core", "db-cluster", "application",
    "instance", "service", "workstation", "access-switch",
)  # fmt: skip


def _rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    answer = fn()
    return (time.perf_counter() - start) * 1000, answer


def row(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"| {label} | {len(ms)} | {statistics.median(ms):.2f} | {p95:.2f} | {ms[-1]:.2f} |"


def bench_size(size: int, args: argparse.Namespace) -> list[str]:
    estate = layered_estate(size, args.seed)
    gc.disable()
    index = build_compact(estate.rows, estate.relations)
    gc.enable()
    gc.freeze()  # as a worker holds its cached index
    rng = random.Random(args.seed)
    centres = [
        c
        for kind in KINDS
        for c in rng.sample(estate.by_kind[kind], min(args.picks, len(estate.by_kind[kind])))
    ]
    questions = [(c, d) for c in centres for d in (1, 2, 3)]
    states = {}
    impact_ms = []
    for centre in centres:
        ms, result = timed(lambda c=centre: compact_impact.impact(index, [c]))
        impact_ms.append(ms)
        states[centre] = {a.ci_id: a.state.value for a in result.affected}

    after_ms, pictures, truncated = [], {}, 0
    rss = _rss()
    for centre, depth in questions:
        ms, picture = timed(
            lambda c=centre, d=depth: layout.draw(neighbourhood.around(index, c, d), states[c])
        )
        after_ms.append(ms)
        pictures[centre, depth] = picture
        truncated += picture.truncated
    after_rss = _rss() - rss

    builds, build_rss = [], []
    graph = None
    for _ in range(args.rounds):
        graph = None
        gc.collect()
        rss = _rss()
        gc.disable()
        ms, graph = timed(index.to_networkx)
        gc.enable()
        gc.freeze()
        builds.append(ms)
        build_rss.append(_rss() - rss)
    first_centre, first_depth = questions[0]
    first_ms, _ = timed(
        lambda: layout.neighbourhood(graph, first_centre, first_depth, states[first_centre])
    )
    before_ms = []
    for centre, depth in questions:
        ms, picture = timed(lambda c=centre, d=depth: layout.neighbourhood(graph, c, d, states[c]))
        before_ms.append(ms)
        assert picture == pictures[centre, depth], (centre, depth)
    first_before = [b + first_ms for b in builds]
    out = [
        f"### {len(estate.rows):,} CIs, {len(estate.relations):,} relations",
        "",
        f"{len(centres)} centres (up to {args.picks} each of {', '.join(KINDS)}), depths 1–3: "
        f"{len(questions)} pictures, {truncated} of them cut at {layout.MAX_NODES} CIs; every "
        "picture equal both ways.",
        "",
        "| step | runs | median ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
        row("before: build the whole networkx graph (`to_networkx`), once per revision", builds),
        row("before: lay out on it (`layout.neighbourhood`), every request", before_ms),
        row("after: `neighbourhood.around` on the index + `layout.draw`, every request", after_ms),
        row("both: impact of the centre failing (compact engine), every request", impact_ms),
        "",
        f"First graph page after a revision change, neighbourhood work: before "
        f"{statistics.median(first_before) / 1000:.2f} s (build + first layout, median of "
        f"{len(builds)}), after {statistics.median(after_ms):.1f} ms (median; nothing is built "
        f"per revision, so the first request costs what any does). RSS growth: the whole "
        f"networkx graph {statistics.median(build_rss):.0f} MB per worker and revision; all "
        f"{len(questions)} pictures drawn the new way (and kept) {after_rss:.1f} MB.",
        "",
    ]
    print("\n".join(out), file=sys.stderr, flush=True)
    graph = None
    gc.unfreeze()
    gc.collect()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--sizes", default="100000", help="estate sizes, comma-separated")
    add("--picks", type=int, default=5, help="centres picked per kind of CI")
    add("--rounds", type=int, default=2, help="builds of the whole networkx graph")
    add("--seed", type=int, default=7)
    add("--out", default="/tmp/bench_graph_page.md", help="markdown section appended here")
    args = parser.parse_args(argv)
    report = Report("bench.cmdb_graph_page", "CMDB graph page at scale", argv)
    body = []
    for size in (int(s) for s in args.sizes.split(",")):
        body += bench_size(size, args)
    report.append(args.out, body)


if __name__ == "__main__":
    main()
