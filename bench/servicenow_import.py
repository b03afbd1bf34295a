"""ServiceNow's whole incident log (141,712 events, 24,918 incidents) through the importer.

Migrates an empty PostgreSQL schema of its own (or a SQLite file with ``--sqlite``), then runs
``import_incidents`` over the zip, as ``flask import servicenow-incidents`` does without the
process start, and again over the same file (a rerun must change nothing). Prints the wall
time, this process's CPU time and its peak RSS (constant memory: the file is streamed, one
batch of incidents is held at a time), and the run's tallies. ``--profile`` prints the 25
costliest functions of the first run.

    python -m bench.servicenow_import                 # PostgreSQL
    python -m bench.servicenow_import --sqlite
    python -m bench.servicenow_import --file sample.csv --no-rerun
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema
from bench._report import Report

DATA = (
    Path(
        os.environ.get(
            "DESKGRAPH_SERVICENOW_DATA",
            ROOT.parent / "shared/data/incidents/uci-servicenow-event-log",
        )
    )
    / "incident_event_log.csv.zip"
)


def timed(label: str, work: object, profile: bool = False) -> tuple[str, object]:
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = work()  # type: ignore[operator]
    if profiler:
        profiler.disable()
        if os.environ.get("BENCH_PROFILE_DUMP"):  # for pstats / snakeviz afterwards
            profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(os.environ.get("BENCH_PROFILE_FILTER", ""), 40)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"| {label} | {wall:.1f} s | {used:.1f} s | {rss:.0f} MB |", result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DATA)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--batch", type=int, default=None, help="incidents per batch")
    parser.add_argument("--no-rerun", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--schema", default="dg_bench_servicenow")
    parser.add_argument("--write", metavar="PATH", help="append the results to this file")
    args = parser.parse_args(argv)
    report = Report("bench.servicenow_import", "ServiceNow incident log import", argv)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.imports.servicenow.importer import BATCH, import_incidents

    folder = Path(tempfile.mkdtemp(prefix="bench-servicenow-"))
    if args.sqlite:
        environ = {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        }
        app = create_app(environ, instance_path=folder / "instance")
    else:
        app = app_on_fresh_schema(args.schema)
    batch = args.batch or BATCH
    lines = [
        "| run | wall | CPU | peak RSS |",
        "|---|---|---|---|",
    ]
    with app.app_context():
        upgrade()

        def once() -> object:
            with args.file.open("rb") as stream:
                return import_incidents(stream, args.file.name, batch_size=batch)

        line, run = timed("first import", once, args.profile)
        lines.append(line)
        counts = dict(run.counts)  # type: ignore[attr-defined]
        if not args.no_rerun:
            line, again = timed("same file again (nothing changes)", once)
            lines.append(line)
            assert again.counts.get("incidents_unchanged") == counts.get("incidents_created")  # type: ignore[attr-defined]
        db.session.remove()
        db.engine.dispose()
    if not args.sqlite:
        drop_schema(args.schema)
    backend = "SQLite file" if args.sqlite else "PostgreSQL"
    tallies = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    body = [
        f"{backend}, {args.file.name}, batches of {batch:,} incidents. Target: under 60 s on "
        "PostgreSQL, under 120 s on SQLite, constant memory.",
        "",
        *lines,
        "",
        f"Tallies of the first run: {tallies}.",
        "",
    ]
    print("\n".join(body))
    if args.write:
        report.append(args.write, body)


if __name__ == "__main__":
    main()
