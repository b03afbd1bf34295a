"""Report exports at a million rows: the streamed CSV stays in constant memory; XLSX is
written row by row (XlsxWriter's ``constant_memory``) into a temporary file.

Rows look like a ticket list's export (number, title, state, priority, group, opened and
resolved instants in UTC); each case is measured with ``tracemalloc`` (the peak of Python
allocations while the whole body is produced and thrown away, as a server sends it) and the
wall time. The CSV is measured at 10,000, 100,000 and 1,000,000 rows (a constant peak is the
point) through :func:`app.exports.csv_chunks`, at 100,000 through the Flask response of
:func:`app.exports.csv_response`, and built whole in memory for comparison (what a view doing
``"".join(...)`` would hold). With ``--postgres`` the million rows also come from PostgreSQL
through a server-side cursor (``yield_per``; ``generate_series``, nothing to load): the
driver's own buffers are outside ``tracemalloc``, so the process's peak RSS is given too.

    python -m bench.exports                     # CSV and XLSX, generated rows
    python -m bench.exports --postgres --xlsx-rows 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench._postgres import POSTGRES, ROOT
from bench._report import Report

COLUMNS = ("Number", "Title", "State", "Priority", "Group", "Opened (UTC)", "Resolved (UTC)")
START = datetime(2026, 1, 1, tzinfo=UTC)
STATES = ("new", "in_progress", "on_hold", "resolved", "closed")


def rows(count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        opened = START + timedelta(minutes=n)
        resolved = opened + timedelta(hours=n % 97) if n % 3 else None
        yield (
            f"INC{n:07d}",
            f"Printer on floor {n % 12} jams on page {n % 500}",
            STATES[n % 5],
            n % 5 + 1,
            f"Group {n % 40}",
            opened,
            resolved,
        )


def measure(produce: Callable[[], int]) -> tuple[float, float, int]:
    """(peak MiB of Python allocations, seconds, bytes produced) of ``produce``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    size = produce()
    seconds = time.perf_counter() - started
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds, size


def streamed_chunks(count: int) -> int:
    from app.exports import csv_chunks

    return sum(len(chunk.encode()) for chunk in csv_chunks(COLUMNS, rows(count)))


def whole_in_memory(count: int) -> int:
    from app.exports import csv_chunks

    return len("".join(csv_chunks(COLUMNS, rows(count))).encode())


def through_flask(app: Any, count: int, source: Callable[[], Any] | None = None) -> int:
    from app.exports import csv_response

    with app.test_request_context():
        response = csv_response("tickets", COLUMNS, source() if source else rows(count))
        size = sum(len(chunk) for chunk in response.iter_encoded())
        response.close()
    return size


def xlsx(count: int) -> int:
    from app.exports import write_xlsx

    with tempfile.TemporaryFile() as target:
        write_xlsx(target, COLUMNS, rows(count))
        return target.tell()


def from_postgres(db: Any, count: int) -> Iterator[tuple[Any, ...]]:
    from sqlalchemy import text

    query = text(
        "SELECT 'INC' || lpad(g::text, 7, '0'), 'Printer on floor ' || (g % 12) || ' jams',"
        " (ARRAY['new','in_progress','on_hold','resolved','closed'])[g % 5 + 1], g % 5 + 1,"
        " 'Group ' || (g % 40), timestamptz '2026-01-01' + g * interval '1 minute',"
        " CASE WHEN g % 3 > 0 THEN timestamptz '2026-01-01' + g * interval '61 minute' END"
        " FROM generate_series(0, :n - 1) g"
    )
    result = db.session.execute(query.execution_options(yield_per=1000), {"n": count})
    yield from (tuple(row) for row in result)


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="also stream rows from PostgreSQL")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--no-append", action="store_true", help="print, do not write the doc")
    args = parser.parse_args(argv)
    report = Report("bench.exports", "Report exports: CSV streamed, XLSX", argv)
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app(
        {
            "DATABASE_URL": f"{POSTGRES}" if args.postgres else "sqlite://",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=ROOT / "instance" / "bench",
    )
    lines = [
        "| case | rows | peak Python memory | time | size |",
        "|---|---|---|---|---|",
    ]

    def line(case: str, count: int, result: tuple[float, float, int]) -> None:
        peak, seconds, size = result
        lines.append(
            f"| {case} | {count:,} | {peak:.2f} MiB | {seconds:.1f} s | {size / 2**20:.1f} MiB |"
        )
        print(lines[-1], file=sys.stderr)

    for count in sorted({10_000, 100_000, args.rows}):
        line("CSV streamed (`csv_chunks`)", count, measure(lambda c=count: streamed_chunks(c)))
    small = min(args.rows, 100_000)
    line("CSV streamed (Flask response)", small, measure(lambda: through_flask(app, small)))
    if args.postgres:
        from app.extensions import db

        with app.app_context():
            before = max_rss_mib()
            result = measure(
                lambda: through_flask(app, args.rows, lambda: from_postgres(db, args.rows))
            )
            rss = f"peak RSS {before:.0f} → {max_rss_mib():.0f} MiB"
            line(f"CSV streamed from PostgreSQL (server-side cursor; {rss})", args.rows, result)
            db.session.remove()
    line("XLSX (`constant_memory`)", args.xlsx_rows, measure(lambda: xlsx(args.xlsx_rows)))
    line(
        "CSV built whole in memory (for comparison)",
        small,
        measure(lambda: whole_in_memory(small)),
    )
    body = [
        f"Generated ticket-like rows ({len(COLUMNS)} columns, two UTC instants). Peak Python "
        "memory is `tracemalloc`'s peak while the body is produced and dropped chunk by chunk "
        "(as a server sends it); times are taken with `tracemalloc` on, which slows Python a few "
        "times over. Target: a million CSV rows in constant memory.",
        "",
        *lines,
        "",
    ]
    if args.no_append:
        print("\n".join(body))
    else:
        report.append(args.output, body)


if __name__ == "__main__":
    main()
