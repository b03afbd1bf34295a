"""Memory of one application node: gunicorn's master and W workers on a CMDB of N CIs, forked
from a preloaded master (``gunicorn.conf.py``'s default) or built in each worker
(``DESKGRAPH_PRELOAD=0``), with the CMDB's graph loaded before serving (the default) or left to
the first request that asks an impact question (``DESKGRAPH_PRELOAD_CMDB=0``: the idle worker
of issue 20, which has imported neither numpy nor networkx).

For each size and mode the node is started on a PostgreSQL schema holding a layered estate of N
CIs (bench/cmdb_layered.py; ``0`` means its smallest, 147 CIs), and once every worker answers
``/healthz/live`` and their memory has settled, each process's ``/proc/PID/smaps_rollup`` is
read: RSS (what ``ps`` shows, shared pages counted in every process), PSS (shared pages divided
among their sharers: the processes' PSS add up to the node's real use) and private memory (what
the process alone holds); ``/proc/PID/maps`` says whether numpy is mapped in it. Results go to
``--out`` as a markdown section.

    python -m bench.worker_memory --sizes 0,100000 --workers 2    # repository root
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench._report import Report
from bench.cmdb_database import estate_schema
from bench.cmdb_layered import layered_estate

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> dict[str, int]:
    """kB by field of one process's smaps_rollup."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in FIELDS:
            found[name] = int(rest.split()[0])
    return found


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def has_numpy(pid: int) -> bool:
    """Whether numpy's compiled core is mapped in the process (it imported numpy)."""
    return "/numpy/" in Path(f"/proc/{pid}/maps").read_text()


# (preload the application, load the graph before serving, label)
MODES = [
    (True, True, "preloaded master, graph loaded before fork (the default)"),
    (True, False, "preloaded master, graph on first use (`DESKGRAPH_PRELOAD_CMDB=0`)"),
    (False, True, "built in each worker, graph loaded before serving (`DESKGRAPH_PRELOAD=0`)"),
    (False, False, "built in each worker, graph on first use (both `=0`): idle workers"),
]


def measure(
    url: str, workers: int, preload: bool, preload_cmdb: bool, log: Path
) -> list[tuple[str, dict[str, int]]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "worker-memory-bench-" + "k" * 32,
        "DESKGRAPH_LOG_LEVEL": "WARNING",
        "DESKGRAPH_PRELOAD": "1" if preload else "0",
        "DESKGRAPH_PRELOAD_CMDB": "1" if preload_cmdb else "0",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
        f"127.0.0.1:{port}", "--timeout", "600", "wsgi:app",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                loaded = log.read_text(errors="replace").count("CMDB graph loaded")
                wanted = (1 if preload else workers) if preload_cmdb else 0
                if loaded >= wanted and len(children(process.pid)) == workers:
                    try:
                        if requests.get(f"http://127.0.0.1:{port}/healthz/live", timeout=5).ok:
                            break
                    except requests.RequestException:
                        pass
                time.sleep(1)
            else:
                raise SystemExit(f"the node did not start; see {log}")
            time.sleep(5)  # let the workers settle
            pids = [process.pid, *children(process.pid)]
            return [
                (f"worker {i}" if i else "master", {**memory(p), "numpy": has_numpy(p)})
                for i, p in enumerate(pids)
            ]
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def table(rows: list[tuple[str, dict[str, int]]]) -> list[str]:
    def mb(kb: int) -> str:
        return f"{kb / 1024:.0f}"

    lines = [
        "| process | RSS MB | PSS MB | private MB | numpy mapped |",
        "|---|---:|---:|---:|---|",
    ]
    for name, m in rows:
        private = m["Private_Clean"] + m["Private_Dirty"]
        numpy = "yes" if m["numpy"] else "no"
        lines.append(f"| {name} | {mb(m['Rss'])} | {mb(m['Pss'])} | {mb(private)} | {numpy} |")
    total = sum(m["Pss"] for _, m in rows)
    lines.append(f"| **node (sum of PSS)** | | **{mb(total)}** | | |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,100000", help="CMDB sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args(argv)
    report = Report("bench.worker_memory", "Memory of a node: preloaded or per-worker", argv)
    body = [f"{args.workers} gunicorn workers (sync) on PostgreSQL, each mode started anew.", ""]
    for size in (int(s) for s in args.sizes.split(",")):
        estate = layered_estate(size)
        body += [f"### {len(estate.rows):,} CIs, {len(estate.relations):,} relations", ""]
        with estate_schema(POSTGRES, estate, f"bench_memory_{os.getpid()}") as (url, _secs):
            for preload, preload_cmdb, label in MODES:
                log = ROOT / "instance" / "worker_memory.log"
                rows = measure(url, args.workers, preload, preload_cmdb, log)
                body += [f"**{label}**", "", *table(rows), ""]
                print("\n".join(body[-len(rows) - 5 :]), file=sys.stderr)
    report.append(args.out, body)


if __name__ == "__main__":
    main()
