"""Load on two nodes with locust: the issue-20 run in one command.

Makes a PostgreSQL schema of its own in the ``test`` database, migrates it and loads the demo
organisation, starts a throwaway ``redis-server``, two gunicorn nodes of ``--workers`` workers
each on loopback (ports ``--port`` and ``--port + 1``, production settings, the outbox on RQ)
and one RQ worker (``flask deskgraph worker``), then runs ``bench/locustfile.py`` headless
against both nodes (each simulated person on one node, in turn) for ``--users`` and
``--run-time``, or in steps (``--steps``, ``--step-time``: see ``bench/locust_phases.py``). It
prints the requests, failures, median, p95 and throughput (all requests, each phase, then each
request name, slowest first), locust's own CPU time and the nodes' (per request: a figure the
machine's load hardly moves), with the load average before and after, then stops everything
and drops the schema (``--keep`` keeps it).

    python -m bench.load_two_nodes --users 10 --run-time 30s      # a smoke run
    python -m bench.load_two_nodes --users 50 --run-time 5m       # the issue's run (idle box)
    python -m bench.load_two_nodes --steps 50,100,150,200 --step-time 75 --spawn-rate 10  # knee

locust comes from requirements-dev.txt (``--locust`` names another binary). Target (issue 20):
50 users for 5 minutes with 0 errors and p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench._postgres import POSTGRES, ROOT, drop_schema
from bench.incidents import throwaway_redis, uptime


def environment(schema: str, redis_url: str, instance: Path) -> dict[str, str]:
    """The nodes' settings: production, the bench's schema, the throwaway Redis."""
    return {
        **os.environ,
        "DESKGRAPH_ENV": "production",
        "DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "load-run-" + "k7Qx2mZp9Lw4Rt8Vb3Nc6Hy",
        "DESKGRAPH_BASE_URL": "http://127.0.0.1",
        "DESKGRAPH_SECURE_COOKIES": "0",  # plain HTTP on loopback: no TLS proxy in front
        "DESKGRAPH_LOG_LEVEL": "WARNING",
        "DESKGRAPH_ATTACHMENTS_DIR": str(instance / "attachments"),
        "PYTHONUNBUFFERED": "1",
    }


def binary(name: str) -> str:
    """A command of this virtualenv (beside the running Python), else on the PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} is not installed: pip install -r requirements-dev.txt")
    return found


def prepare(schema: str, env: dict[str, str], log: Path) -> None:
    """A fresh schema with the migrations and the demo organisation (``bench.load_seed``)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    with log.open("w") as output:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.load_seed"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run ``command`` in a process group of its own; stop the whole group after."""
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} did not start:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def cpu_seconds() -> float:
    """User and system CPU time of this process's children that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def group_cpu_seconds(groups: set[int]) -> float:
    """User and system CPU time of the live processes of the process ``groups`` (each with
    the time of its children that have ended: the RQ worker's work horses), from ``/proc``."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) in groups:  # pgrp; then utime, stime, cutime, cstime
            ticks += sum(int(n) for n in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def summary(stats: Path, phases: Path) -> list[str]:
    """The aggregated line of locust's ``*_stats.csv``, each phase of ``phases`` (written by
    ``bench/locust_phases.py``), then every request name, slowest p95 first."""
    with stats.open() as source:
        rows = list(csv.DictReader(source))

    def line(row: dict[str, str]) -> str:
        median, p95 = float(row["Median Response Time"]), float(row["95%"])
        name = f"{row['Type']} {row['Name']}".strip()
        return (
            f"{name[:44]:44} {int(row['Request Count']):>7,} req "
            f"{int(row['Failure Count']):>5,} failed  median {median:>6.0f} ms"
            f"  p95 {p95:>6.0f} ms  {float(row['Requests/s']):>6.1f} req/s"
        )

    total = [r for r in rows if r["Name"] == "Aggregated"]
    named = sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: -float(r["95%"]))
    lines = [line(r) for r in total]
    if phases.exists():
        with phases.open() as source:
            lines += ["by phase (the time spent at one user count, and starting users):"] + [
                f"  {r['phase']:20} {int(r['seconds']):>5} s {int(r['requests']):>7,} req "
                f"{int(r['failures']):>5,} failed  median {int(r['median']):>6} ms  p95 "
                f"{int(r['p95']):>6} ms  p99 {int(r['p99']):>6} ms  {float(r['rps']):>6.1f} req/s"
                for r in csv.DictReader(source)
            ]
    return lines + ["by request, slowest p95 first:"] + [line(r) for r in named]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--users", type=int, default=50, help="simulated people (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="people started per second")
    parser.add_argument("--run-time", default="5m", help="locust's duration: 30s, 5m (default)")
    parser.add_argument(
        "--steps",
        default=None,
        help="users per step, e.g. 50,100,150,200 (instead of --users and --run-time)",
    )
    parser.add_argument("--step-time", type=float, default=75, help="seconds per step (default 75)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per node")
    parser.add_argument("--port", type=int, default=8101, help="first node's port (then +1)")
    parser.add_argument("--schema", default="dg_load_two_nodes")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a schema kept by --keep")
    parser.add_argument("--locust", default=None, help="the locust binary (default: this venv's)")
    parser.add_argument("--out", default=None, help="folder for locust's CSV and the logs")
    args = parser.parse_args()

    out = Path(args.out or tempfile.mkdtemp(prefix="dg-load-"))
    out.mkdir(parents=True, exist_ok=True)
    locust = args.locust or binary("locust")
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (the outbox runs on RQ in production)")
    hosts = [f"http://127.0.0.1:{args.port + n}" for n in range(2)]
    steps = [int(n) for n in args.steps.split(",")] if args.steps else []
    if steps:
        what = f"steps of {args.steps} users, {args.step_time:.0f} s each"
        sizing = ["--spawn-rate", str(args.spawn_rate)]
    else:
        what = f"{args.users} users, {args.run_time}"
        sizing = ["--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
        sizing += ["--run-time", args.run_time]
    started_at = time.monotonic()
    with throwaway_redis() as redis_url, ExitStack() as running:
        assert redis_url is not None
        env = environment(args.schema, redis_url, out)
        if not args.reuse:
            print(f"preparing schema {args.schema} (migrations, demo) …", flush=True)
            prepare(args.schema, env, out / "prepare.log")
            print(f"  prepared in {time.monotonic() - started_at:.0f} s", flush=True)
        nodes = []
        for n, host in enumerate(hosts):
            log = out / f"node{n + 1}.log"
            gunicorn = [
                binary("gunicorn"),
                "wsgi:app",
                "--workers",
                str(args.workers),
                "--bind",
                host.removeprefix("http://"),
                "--timeout",
                "60",
            ]
            nodes.append((host, running.enter_context(started(gunicorn, env, log)), log))
        worker = running.enter_context(
            started(
                [binary("flask"), "--app", "wsgi", "deskgraph", "worker"], env, out / "worker.log"
            )
        )
        for host, process, log in nodes:
            wait_until_up(host, process, log)
        load_before = uptime()
        print(
            f"{len(hosts)} nodes × {args.workers} workers up after "
            f"{time.monotonic() - started_at:.0f} s; locust: {what} (load {load_before})",
            flush=True,
        )
        bench = ROOT / "bench"
        groups = {process.pid for _, process, _ in nodes}
        cpu_before = cpu_seconds()
        nodes_before, worker_before = group_cpu_seconds(groups), group_cpu_seconds({worker.pid})
        subprocess.run(  # noqa: S603
            [
                locust,
                "-f",
                f"{bench / 'locustfile.py'},{bench / 'locust_phases.py'}",
                "--headless",
                "--host",
                hosts[0],
                *sizing,
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DESKGRAPH_LOCUST_HOSTS": ",".join(hosts),
                "DESKGRAPH_LOCUST_EVERYONE": "1",  # bench.load_seed let everyone sign in
                "DESKGRAPH_LOCUST_PHASES": str(out / "locust_phases.csv"),
                "DESKGRAPH_LOCUST_STEPS": ",".join(map(str, steps)),
                "DESKGRAPH_LOCUST_STEP_SECONDS": str(args.step_time),
                "DESKGRAPH_LOCUST_SPAWN_RATE": str(args.spawn_rate),
            },
            stdout=(out / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
            check=False,
        )
        load_after = uptime()
        locust_cpu = cpu_seconds() - cpu_before
        nodes_cpu = group_cpu_seconds(groups) - nodes_before
        worker_cpu = group_cpu_seconds({worker.pid}) - worker_before
    if not args.keep:
        drop_schema(args.schema)
    stats = out / "locust_stats.csv"
    if not stats.exists():
        raise SystemExit(f"locust wrote no statistics; see {out / 'locust.log'}")
    with stats.open() as source:
        requests = sum(
            int(r["Request Count"]) for r in csv.DictReader(source) if r["Name"] != "Aggregated"
        )
    print(
        f"{what}, 2 nodes × {args.workers} gunicorn workers, PostgreSQL, outbox on RQ; "
        f"load average before / after: {load_before} / {load_after}"
    )
    print(
        f"CPU: locust {locust_cpu:.1f} s ({1000 * locust_cpu / max(requests, 1):.1f} ms a "
        f"request), the nodes {nodes_cpu:.1f} s ({1000 * nodes_cpu / max(requests, 1):.1f} ms "
        f"a request), the RQ worker {worker_cpu:.1f} s; PostgreSQL not counted"
    )
    print("\n".join(summary(stats, out / "locust_phases.csv")))
    failures = out / "locust_failures.csv"
    if failures.exists():
        with failures.open() as source:
            for row in list(csv.DictReader(source))[:10]:
                print(
                    f"failure: {row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error']}"
                )
    print(f"CSV and logs: {out}")


if __name__ == "__main__":
    main()
