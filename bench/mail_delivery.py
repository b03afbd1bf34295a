"""Benchmark mail out: N queued mails delivered to a local SMTP server by one worker.

Run from the repository root:  python -m bench.mail_delivery [--mails 10000] [--postgresql]

A fresh database (a temporary SQLite file, or with ``--postgresql`` an empty schema on the
test server, 127.0.0.1:5432) is migrated, then N mails (text and HTML, a third of them about
one of 100 incidents, so threading headers are read) are queued in one transaction without
being delivered. One ``flask outbox run --once`` process then delivers them to an aiosmtpd
server running in a process of its own, which counts what it accepted. The figure is the
worker's wall time (process start included); the target is 10,000 mails in under 60 s.
Prints the result; the lead copies it into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def _serve(port_out: Any, stop: Any, count_out: Any, folder: str) -> None:
    """The SMTP server's process: report the port, accept mail until told to stop, then
    report how many mails and distinct Message-IDs it accepted."""
    from tests.smtp_server import SmtpServer

    server = SmtpServer(Path(folder)).start()
    port_out.put(server.port)
    stop.wait()
    ids = {r.data.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0] for r in server.received}
    count_out.put((len(server.received), len(ids)))
    server.stop()


def _environ(database_url: str, port: int) -> dict[str, str]:
    return {
        "DESKGRAPH_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "DESKGRAPH_LOG_LEVEL": "ERROR",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "MAIL_FROM": "servicedesk@bench.example.org",
    }


def _queue(environ: dict[str, str], instance: Path, mails: int) -> float:
    """Migrate, open 100 incidents and queue ``mails`` mails in one transaction; seconds."""
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.models import Role
    from app.auth.services import create_local_user
    from app.extensions import db
    from app.incidents.services import open_incident
    from app.mail.outgoing.services import queue_mail

    app = create_app(environ, instance_path=instance)
    with app.app_context():
        upgrade()
        caller = create_local_user(
            username="bench", password=None, roles=[Role.EMPLOYEE], display_name="Bench Caller"
        )
        incidents = [
            open_incident(caller=caller, opened_by=caller, short_description=f"Bench {n}")
            for n in range(100)
        ]
        db.session.commit()
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # record now, deliver in the worker
        started = time.perf_counter()
        for n in range(mails):
            text = f"Hello,\n\nthis is notification {n} of the benchmark.\n\n-- \nService Desk\n"
            queue_mail(
                to_address=f"person{n % 1000}@example.org",
                subject=f"Notification {n}",
                text=text,
                html=f"<p>Hello,</p><p>this is notification <b>{n}</b>.</p>",
                ticket=incidents[n % 100] if n % 3 == 0 else None,
                recipient=caller,
            )
        db.session.commit()
        queued = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--postgresql", action="store_true", help="an empty PG schema")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    port_out, count_out, stop = context.Queue(), context.Queue(), context.Event()
    with tempfile.TemporaryDirectory() as folder:
        server = context.Process(target=_serve, args=(port_out, stop, count_out, folder))
        server.start()
        port = port_out.get(timeout=60)
        schema = f"bench_mail_{os.getpid()}"
        if args.postgresql:
            from bench._postgres import POSTGRES, drop_schema

            drop_schema(schema)
            from sqlalchemy import create_engine, text

            admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
            database_url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        else:
            database_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        environ = _environ(database_url, port)
        queued = _queue(environ, Path(folder) / "instance", args.mails)

        started = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "run", "--once"],
            cwd=ROOT,
            env={**os.environ, **environ},
            capture_output=True,
            text=True,
            check=True,
        )
        delivered = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
            cpu_before.ru_utime + cpu_before.ru_stime
        )
        stop.set()
        received, distinct = count_out.get(timeout=60)
        server.join(30)
        if args.postgresql:
            drop_schema(schema)

    database = "PostgreSQL" if args.postgresql else "SQLite"
    print(f"{database}: queued {args.mails:,} mails in {queued:.1f} s "
          f"({args.mails / queued:,.0f}/s, one transaction)")  # fmt: skip
    print(f"{database}: one worker delivered them in {delivered:.1f} s "
          f"({args.mails / delivered:,.0f} mails/s); the server accepted {received:,} "
          f"({distinct:,} distinct Message-IDs). Worker: {worker.stdout.strip()}")  # fmt: skip
    print(f"{database}: the worker used {cpu:.1f} s of CPU ({cpu * 1000 / args.mails:.2f} ms "
          "per mail); the rest of its wall time it waited for the database, the SMTP server "
          "or a CPU shared with other processes")  # fmt: skip
    if received != args.mails or distinct != args.mails:
        sys.exit("not every mail arrived exactly once")


if __name__ == "__main__":
    main()
