"""The attachment store: storing and reading a 1 MB and a 20 MB file on both backends
(``database``, ``directory``), on SQLite and on PostgreSQL.

Each figure is the median (and the slowest) of ``--repeat`` runs, wall time: *store* is
``files.put`` of new content plus the commit (the directory backend renames its file after
the commit), *read* is ``files.read`` in a fresh session, and *download* is the whole GET of the
attachment through the WSGI app in-process (routing, permission check, ``send_file``, the
body consumed). The PostgreSQL schema and the SQLite file are the benchmark's own, dropped
after.

    python -m bench.attachments                 # both databases, 5 runs each
    python -m bench.attachments --repeat 3 --databases sqlite
    python -m bench.attachments --append docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._postgres import POSTGRES, drop_schema
from bench._report import Report

SIZES = {"1 MB": 1024 * 1024, "20 MB": 20 * 1024 * 1024}
BACKENDS = ("database", "directory")
SCHEMA = "bench_attachments"


def _app(database: str, folder: Path) -> Any:
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from app import create_app

    if database == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        drop_schema(SCHEMA)
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        admin.dispose()
        url = f"{POSTGRES}?options=-csearch_path%3D{SCHEMA}"
    app = create_app(
        {
            "DESKGRAPH_ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
            "DESKGRAPH_PASSWORD_HASH": "pbkdf2:sha256:1000",
            "DESKGRAPH_ATTACHMENTS_DIR": str(folder / "attachments"),
        },
        instance_path=folder / "instance",
    )
    with app.app_context():
        upgrade()
    return app


def _timed(runs: int, action: Callable[[], Any]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def _measure(app: Any, backend: str, data: bytes, runs: int) -> dict[str, list[float]]:
    from app import files
    from app.auth.models import Role
    from app.auth.services import create_local_user
    from app.extensions import db
    from app.incidents.services import open_incident
    from app.tickets import attachments

    app.config["ATTACHMENT_STORE"] = backend
    keys: list[str] = []

    def store() -> None:
        # New content each time: the same bytes again would share the first blob (dedupe).
        keys.append(files.put(os.urandom(16) + data[16:]).key)
        db.session.commit()

    def read(key: str) -> None:
        db.session.remove()
        assert len(files.read(key) or b"") == len(data)

    with app.app_context():
        store_times = _timed(runs, store)
        read_times = [_timed(1, lambda key=key: read(key))[0] for key in keys]
        agent = create_local_user(
            username=f"agent-{backend}-{len(data)}",
            display_name="Agent",
            password="bench-password-long",
            roles=[Role.AGENT, Role.EMPLOYEE],
        )
        incident = open_incident(caller=agent, opened_by=agent, short_description="Bench")
        stored = attachments.store_bytes(
            incident,
            data=data,
            filename="big.bin",
            content_type=None,
            uploader=agent,
            internal=False,
        )
        db.session.commit()
        url = f"/incidents/{incident.number}/attachments/{stored.id}"
        username = agent.username
        db.session.remove()

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"username": username, "password": "bench-password-long", "csrf_token": token},
    )

    def download() -> None:
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.get_data()) == len(data)
        response.close()

    return {"store": store_times, "read": read_times, "download": _timed(runs, download)}


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.0f} ms (max {max(times) * 1000:.0f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measure")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--append", metavar="PATH", help="append the table to this file")
    args = parser.parse_args(argv)
    report = Report("bench.attachments", "Attachment store", argv)
    lines = [
        "| database | backend | size | store + commit | read | download (GET) |",
        "|---|---|---|---|---|---|",
    ]
    payloads = {label: os.urandom(size) for label, size in SIZES.items()}
    for database in args.databases:
        with tempfile.TemporaryDirectory(prefix="bench-attachments-") as tmp:
            app = _app(database, Path(tmp))
            try:
                for backend in BACKENDS:
                    for label, data in payloads.items():
                        times = _measure(app, backend, data, args.repeat)
                        line = (
                            f"| {database} | {backend} | {label} | {_ms(times['store'])} | "
                            f"{_ms(times['read'])} | {_ms(times['download'])} |"
                        )
                        print(line, flush=True)
                        lines.append(line)
            finally:
                from app.extensions import db

                with app.app_context():
                    db.engine.dispose()
                if database == "postgresql":
                    drop_schema(SCHEMA)
    print("\n".join(lines))
    if args.append:
        report.append(args.append, [*lines, ""])


if __name__ == "__main__":
    main()
