"""Spreadsheet imports: how long a sheet of people and one of incidents take to read, to dry
run, to import and to import again (every row unchanged), on PostgreSQL and SQLite.

The people sheet (``--people`` rows, CSV and XLSX) names each person's manager by email and
two groups; the incidents sheet (``--incidents`` rows) names a caller by full name, an ISO
date, impact and urgency as "2 - Medium", an assignment group and an assignee in it, and an
old number (so the second import leaves every row unchanged). Each step goes through
:func:`app.imports.sheets.service.run_import` and its commit, as the page does. PostgreSQL
runs in a schema of its own in the ``test`` database, dropped at the end; SQLite in a
temporary file.

    python -m bench.sheets_import
    python -m bench.sheets_import --people 20000 --incidents 5000 --only postgresql
    python -m bench.sheets_import --ab-settle 300     # incidents told to everyone, or not

``--ab-settle N`` only compares, on SQLite, importing N incidents as a load of history (as the
importer does: nobody told) with importing them as live incidents (notification fan-out after
the commit), alternately, three times each.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema

GROUPS = ("Network", "Servers", "Desktop", "Finance apps", "Telephony")


def people_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Login", "Full name", "E-mail", "Department", "Reports to", "Teams"])
    for n in range(count):
        writer.writerow([
            f"person{n:06d}", f"Person {n:06d}", f"person{n:06d}@example.org",
            f"Dept {n % 30}", "boss@example.org", f"{GROUPS[n % 5]}, {GROUPS[(n + 1) % 5]}",
        ])  # fmt: skip
    return out.getvalue().encode()


def people_xlsx(data: bytes) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in csv.reader(io.StringIO(data.decode())):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def incidents_csv(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Number", "Short description", "Caller", "Opened", "Impact", "Urgency",
                     "Assignment group", "Assigned to"])  # fmt: skip
    for n in range(count):
        writer.writerow([
            f"OLD{n:07d}", f"Printer {n % 97} jams", "Kim Caller",
            f"2026-0{1 + n % 9}-{1 + n % 28:02d} {n % 24:02d}:30", f"{1 + n % 3} - x",
            "2 - Medium", "Network", "agent",
        ])  # fmt: skip
    return out.getvalue().encode()


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def run_backend(app: Any, args: argparse.Namespace, *, only_incidents: bool = False) -> list[str]:
    from flask_migrate import upgrade

    from app.auth import groups
    from app.auth import services as people
    from app.auth.models import Role
    from app.extensions import db
    from app.imports.models import RunState
    from app.imports.sheets import reading, service

    lines = []
    with app.app_context():
        upgrade()
        admin = people.create_local_user(
            username="admin", password=None, roles=[Role.ADMIN], display_name="Admin"
        )
        agent = people.create_local_user(
            username="agent", password=None, roles=[Role.AGENT], display_name="Agent"
        )
        people.create_local_user(username="kim", password=None, display_name="Kim Caller")
        people.create_local_user(
            username="boss", password=None, display_name="Boss", email="boss@example.org"
        )
        for name in GROUPS:
            group = groups.create_group(actor=admin, name=name)
            if name == "Network":
                groups.add_members(group, [agent], actor=admin)
        db.session.commit()

        def step(kind: str, data: bytes, name: str, dry_run: bool) -> Any:
            run = service.run_import(
                data, filename=name, kind=kind, mapping=None, actor=admin, dry_run=dry_run
            )
            db.session.commit()
            assert run.state == RunState.FINISHED, (run.error, run.counts)
            return run.counts

        sheets = [("people", people_csv(args.people), "people.csv")]
        sheets.append(("people", people_xlsx(sheets[0][1]), "people.xlsx"))
        sheets.append(("incidents", incidents_csv(args.incidents), "incidents.csv"))
        if only_incidents:
            sheets = sheets[2:]
        for kind, data, name in sheets:
            rows = args.people if kind == "people" else args.incidents
            read_s, _ = timed(lambda d=data, n=name: reading.read(d, n))
            dry_s, _ = timed(lambda k=kind, d=data, n=name: step(k, d, n, True))
            if name == "people.xlsx":  # the CSV made them: this import finds them unchanged
                import_s, counts = timed(lambda k=kind, d=data, n=name: step(k, d, n, False))
                lines.append(
                    f"| {name} | {rows:,} | {read_s:.2f} | {dry_s:.2f} | | {import_s:.2f} "
                    f"({counts.get('rows_unchanged', 0):,} unchanged) |"
                )
                continue
            import_s, counts = timed(lambda k=kind, d=data, n=name: step(k, d, n, False))
            again_s, again = timed(lambda k=kind, d=data, n=name: step(k, d, n, False))
            assert counts["rows_created"] == rows, counts
            assert again["rows_unchanged"] == rows, again
            lines.append(
                f"| {name} | {rows:,} | {read_s:.2f} | {dry_s:.2f} | {import_s:.2f} | "
                f"{again_s:.2f} |"
            )
    return lines


def sqlite_app(folder: str) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=Path(folder) / "instance",
    )


def ab_settle(count: int) -> None:
    """Seconds to import ``count`` incidents told to nobody (A) and to everyone (B)."""
    from unittest import mock

    from app.imports.sheets import incidents

    results: dict[str, list[float]] = {"history (nobody told)": [], "live (everyone told)": []}
    args = argparse.Namespace(people=0, incidents=count)
    for _ in range(3):
        for label in results:
            with tempfile.TemporaryDirectory() as folder:
                app = sqlite_app(folder)
                if label.startswith("live"):
                    with mock.patch.object(incidents, "settle_on_commit", return_value=None):
                        lines = run_backend(app, args, only_incidents=True)
                else:
                    lines = run_backend(app, args, only_incidents=True)
                results[label].append(float(lines[0].split("|")[5]))
    for label, seconds in results.items():
        print(f"| {label} | {count} | " + ", ".join(f"{s:.1f}" for s in seconds) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--schema", default="dg_bench_sheets")
    parser.add_argument("--ab-settle", type=int, default=0, metavar="N")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.ab_settle:
        ab_settle(args.ab_settle)
        return

    header = [
        "| sheet | rows | read s | dry run s | import s | import again s |",
        "|---|---|---|---|---|---|",
    ]
    if args.only != "sqlite":
        app = app_on_fresh_schema(args.schema)
        try:
            print("PostgreSQL", *header, *run_backend(app, args), sep="\n", flush=True)
        finally:
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
            drop_schema(args.schema)
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            app = sqlite_app(folder)
            print("SQLite", *header, *run_backend(app, args), sep="\n", flush=True)


if __name__ == "__main__":
    main()
