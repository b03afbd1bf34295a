"""Memory of one application node: gunicorn's master and W workers, with the CMDB's graph of N
CIs loaded, forked from a preloaded master (``gunicorn.conf.py``'s default) or built in each
worker (``DESKGRAPH_PRELOAD=0``).

For each mode the node is started on a PostgreSQL schema holding a layered estate of N CIs
(bench/cmdb_layered.py), every worker loads the graph before serving, and once they all answer
``/healthz/live`` and their memory has settled, each process's ``/proc/PID/smaps_rollup`` is
read: RSS (what ``ps`` shows, shared pages counted in every process), PSS (shared pages divided
among their sharers: the processes' PSS add up to the node's real use) and private memory (what
the process alone holds). Results go to ``--out`` as a markdown section.

    python -m bench.worker_memory --cis 100000 --workers 4    # repository root
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


def measure(url: str, workers: int, preload: bool, log: Path) -> list[tuple[str, dict[str, int]]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "worker-memory-bench-" + "k" * 32,
        "DESKGRAPH_LOG_LEVEL": "WARNING",
        "DESKGRAPH_PRELOAD": "1" if preload else "0",
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
                if loaded >= (1 if preload else workers) and len(children(process.pid)) == workers:
                    try:
                        if requests.get(f"http://127.0.0.1:{port}/healthz/live", timeout=5).ok:
                            break
                    except requests.RequestException:
                        pass
                time.sleep(1)
            else:
                raise SystemExit(f"the node did not start; see {log}")
            time.sleep(5)  # let the workers settle
            rows = [("master", memory(process.pid))]
            rows += [(f"worker {i + 1}", memory(p)) for i, p in enumerate(children(process.pid))]
            return rows
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def table(rows: list[tuple[str, dict[str, int]]]) -> list[str]:
    def mb(kb: int) -> str:
        return f"{kb / 1024:.0f}"

    lines = ["| process | RSS MB | PSS MB | private MB |", "|---|---:|---:|---:|"]
    for name, m in rows:
        private = m["Private_Clean"] + m["Private_Dirty"]
        lines.append(f"| {name} | {mb(m['Rss'])} | {mb(m['Pss'])} | {mb(private)} |")
    total = sum(m["Pss"] for _, m in rows)
    lines.append(f"| **node (sum of PSS)** | | **{mb(total)}** | |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args(argv)
    report = Report("bench.worker_memory", "Memory of a node: preloaded or per-worker", argv)
    estate = layered_estate(args.cis)
    body = [
        f"{len(estate.rows):,} CIs and {len(estate.relations):,} relations, "
        f"{args.workers} gunicorn workers (sync), each with the graph loaded before serving.",
        "",
    ]
    with estate_schema(POSTGRES, estate, f"bench_memory_{os.getpid()}") as (url, _secs):
        for preload in (True, False):
            label = "preloaded master (default)" if preload else "built in each worker"
            rows = measure(url, args.workers, preload, ROOT / "instance" / "worker_memory.log")
            body += [f"**{label}**", "", *table(rows), ""]
            print("\n".join(body[-len(rows) - 4 :]), file=sys.stderr)
    report.append(args.out, body)


if __name__ == "__main__":
    main()
