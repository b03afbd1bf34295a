"""Benchmark the RQ worker's CPU per outbox delivery (issue 20).

Run from the repository root:
    python -m bench.worker_cpu [--mails 50] [--rounds 2] [--variant default --variant --fork]

A fresh PostgreSQL schema (``dg_bench_worker20``, on the test server 127.0.0.1:5432) is
migrated; a throwaway ``redis-server`` and an aiosmtpd server (a process of its own) are
started. Each round, for each variant (the extra arguments of ``flask deskgraph worker``;
``default`` for none), ``--mails`` mails are queued and committed, which puts one RQ job per
mail on the ``outbox`` queue, then ``flask --app wsgi deskgraph worker --burst`` runs them and
stops. The CPU of the worker and of every process it forked (``RUSAGE_CHILDREN``, user +
system) is taken around it; an empty burst (start-up only) is measured the same way and
subtracted, so the figure is the CPU per delivery. Variants alternate within each round (A/B
in the same minutes). Prints the load next to every figure.
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

from bench.incidents import throwaway_redis, uptime
from bench.mail_delivery import _environ, _serve

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = "dg_bench_worker20"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _queue(environ: dict[str, str], instance: Path, mails: int, tag: str) -> None:
    """Queue ``mails`` mails in one transaction; the commit puts their jobs on Redis."""
    from app import create_app
    from app.extensions import db
    from app.mail.outgoing.services import queue_mail

    app = create_app(environ, instance_path=instance)
    with app.app_context():
        for n in range(mails):
            queue_mail(
                to_address=f"person{n}@example.org",
                subject=f"Notification {tag} {n}",
                text=f"Hello,\n\nthis is notification {n}.\n",
                html=f"<p>Hello,</p><p>this is notification <b>{n}</b>.</p>",
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _burst(environ: dict[str, str], variant: str) -> tuple[float, float]:
    """Run one ``deskgraph worker --burst``; its CPU (with its children) and wall seconds."""
    extra = [] if variant == "default" else variant.split()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "deskgraph", "worker", "--burst"]
    before, started = _cpu(), time.perf_counter()
    subprocess.run(
        command + extra,
        cwd=ROOT,
        env={**os.environ, **environ},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _cpu() - before, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", help="worker arguments, or 'default'")
    args = parser.parse_args()
    variants = args.variant or ["default"]

    from flask_migrate import upgrade

    from app import create_app
    from bench._postgres import POSTGRES, drop_schema

    context = multiprocessing.get_context("spawn")
    port_out, count_out, stop = context.Queue(), context.Queue(), context.Event()
    with tempfile.TemporaryDirectory() as folder, throwaway_redis() as redis_url:
        if redis_url is None:
            raise SystemExit("redis-server is not installed")
        server = context.Process(target=_serve, args=(port_out, stop, count_out, folder))
        server.start()
        port = port_out.get(timeout=60)
        from sqlalchemy import create_engine, text

        drop_schema(SCHEMA)
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        admin.dispose()
        environ = {
            **_environ(f"{POSTGRES}?options=-csearch_path%3D{SCHEMA}", port),
            "REDIS_URL": redis_url,
        }
        instance = Path(folder) / "instance"
        app = create_app(environ, instance_path=instance)
        with app.app_context():
            upgrade()
        sent = 0
        for round_ in range(args.rounds):
            for variant in variants:
                empty, _ = _burst(environ, variant)
                _queue(environ, instance, args.mails, f"{round_}{variant}")
                sent += args.mails
                cpu, wall = _burst(environ, variant)
                per_job = (cpu - empty) / args.mails
                print(
                    f"round {round_ + 1} [{variant}]: {args.mails} jobs: worker CPU {cpu:.2f} s "
                    f"(start-up alone {empty:.2f} s) -> {per_job * 1000:.1f} ms CPU per "
                    f"delivery; wall {wall:.1f} s; load {uptime()}",
                    flush=True,
                )
        stop.set()
        received, distinct = count_out.get(timeout=60)
        server.join(30)
        drop_schema(SCHEMA)
    print(f"the SMTP server accepted {received} mails ({distinct} distinct) of {sent} queued")
    if received != sent or distinct != sent:
        sys.exit("not every mail arrived exactly once")


if __name__ == "__main__":
    main()
