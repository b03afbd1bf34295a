"""What the NetBox and iTop benchmarks share: the phases of the pages' one upload → dry run →
apply flow (:class:`app.imports.flow.Flow`), timed on SQLite and PostgreSQL in turn."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._postgres import app_on_fresh_schema, drop_schema


def sqlite_app(folder: Path) -> Any:
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=folder / "instance",
    )


def timed(label: str, action: Any) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def uptime() -> None:
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def measure(
    app: Any, flow: str, name: str, data: bytes, other: bytes, read: Callable[[], Any]
) -> None:
    """Migrate, then time reading and mapping (``read``, pure), the dry run, the first import,
    a second run that changes nothing and the ``other`` file synced, each through the page's
    flow (``app.imports.<flow>.views.FLOW.run``) and committed as the page commits."""
    from importlib import import_module

    from flask_migrate import upgrade

    from app.extensions import db

    run_file = import_module(f"app.imports.{flow}.views").FLOW.run
    with app.app_context():
        upgrade()
        reading = timed("read and map (pure)", read)
        print(f"    {reading.estate.rows_read} objects, {len(reading.estate.cis)} CIs")

        def run(payload: bytes, dry_run: bool) -> dict[str, int]:
            found = run_file(name, payload, dry_run, None)
            db.session.commit()
            return dict(found.counts)

        counts = timed("dry run", lambda: run(data, True))
        print(
            f"    would create {counts['cis_created']} CIs, {counts['relations_created']} relations"
        )
        timed("first import", lambda: run(data, False))
        counts = timed("second run, nothing changed", lambda: run(data, False))
        print(
            f"    unchanged: {counts['cis_unchanged']} CIs, "
            f"{counts['relations_unchanged']} relations"
        )
        counts = timed("changed file synced", lambda: run(other, False))
        print(
            f"    created {counts['cis_created']}, updated {counts['cis_updated']}, retired "
            f"{counts['cis_retired']}, relations removed {counts['relations_removed']}"
        )
        db.session.remove()
        db.engine.dispose()


def on_both(only: str | None, schema: str, work: Callable[[Any], None], repeat: int = 1) -> None:
    """``work(app)`` on a fresh SQLite file then a fresh PostgreSQL schema (``only`` one of
    them), ``repeat`` times, between two ``uptime`` lines."""
    uptime()
    for n in range(repeat):
        if only in (None, "sqlite"):
            with tempfile.TemporaryDirectory() as folder:
                print(f"SQLite, run {n + 1}:")
                work(sqlite_app(Path(folder)))
        if only in (None, "postgres"):
            print(f"PostgreSQL, run {n + 1}:")
            try:
                work(app_on_fresh_schema(schema))
            finally:
                drop_schema(schema)
    uptime()
