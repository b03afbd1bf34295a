"""PostgreSQL restarted under traffic: while it is down every page is the static 503 with a
reference id (never a 500), nothing the desk acknowledged is lost, and the application
recovers by itself when the server is back, without being restarted.

The server is a throwaway cluster of this test's own (``initdb`` and ``pg_ctl`` from the
system, on a free port and a socket folder of its own): the shared server at 5432 is never
touched. Skipped where PostgreSQL's server programs are not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Client, build_app, migrate

pytestmark = pytest.mark.slow

REQUEST_ID = "X-Request-ID"


class Cluster:
    """A PostgreSQL cluster in ``folder`` on ``port``: ``start()``, ``stop()``, ``url``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.data = folder / "data"
        self.sockets = folder / "sockets"
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        # initdb and the server refuse to run as root: run them as the postgres account then.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command: str) -> None:
        subprocess.run(  # noqa: S603
            [*self.prefix, *command], check=True, capture_output=True, timeout=120
        )

    def create(self) -> None:
        for folder in (self.data.parent, self.data, self.sockets):
            folder.mkdir(parents=True, exist_ok=True)
            if self.prefix:
                shutil.chown(folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=on -c full_page_writes=off -c shared_buffers=16MB"
        )
        log = str(self.data.parent / "server.log")  # not our pipes: pg_ctl would wait on them
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash or a restart does: open connections are cut."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser to start PostgreSQL as postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Not under pytest's own temporary folder: the postgres account cannot enter it.
    with tempfile.TemporaryDirectory(prefix="deskgraph-fault-pg-") as folder:
        server = Cluster(Path(folder), port)
        server.create()
        try:
            server.start()
            yield server
        finally:
            subprocess.run(  # noqa: S603
                [*server.prefix, "pg_ctl", "-D", str(server.data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )


@pytest.fixture
def desk(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[Any, Client, Client]]:
    """The application on the throwaway cluster, migrated, and an employee signed in twice
    (a browser sending reports, another reading her list)."""
    app = build_app(cluster.url, tmp_path / "instance")
    migrate(app)
    with app.app_context():
        from app.auth import services
        from app.auth.models import Role
        from app.extensions import db

        services.create_local_user(
            username="emma", password=PASSWORD, roles=[Role.EMPLOYEE], display_name="Emma"
        )
        db.session.commit()
        db.session.remove()
    clients = [Client(app.test_client()) for _ in range(2)]
    for client in clients:
        assert client.login("emma").status_code == 302
    yield app, *clients
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_a_restart_under_traffic_gives_503s_loses_nothing_and_recovers(desk, cluster):
    app, client, reader = desk
    answers: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            summary = f"Printer jams, report {n}"
            response = client.post(
                "/incidents/report",
                {"short_description": summary, "urgency": "3"},
                headers={REQUEST_ID: f"fault-{n}"},
            )
            answers.append((summary, response.status_code, response.get_data(as_text=True)))
            time.sleep(0.05)

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        wait_until(lambda: any(status == 302 for _, status, _ in answers))
        cluster.stop()
        wait_until(lambda: any(status == 503 for _, status, _ in answers))
        down = reader.get("/incidents/mine", headers={REQUEST_ID: "while-down"})
        cluster.start()
        seen = len(answers)
        wait_until(lambda: any(status == 302 for _, status, _ in answers[seen:]))
    finally:
        stop.set()
        worker.join(timeout=60)

    # While the server was down: the static page, with the reference to quote to support.
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in down.text
    assert "while-down" in down.text
    assert {status for _, status, _ in answers} <= {302, 503}, [s for _, s, _ in answers]
    assert all("Traceback" not in body for _, _, body in answers)

    # Back without restarting the application: pages work, and every report the desk
    # acknowledged (a redirect to its incident) is there.
    mine = reader.get("/incidents/mine")
    assert mine.status_code == 200
    with app.app_context():
        from app.extensions import db
        from app.incidents.models import Incident

        stored = set(db.session.scalars(select(Incident.short_description)))
        db.session.remove()
    acknowledged = {summary for summary, status, _ in answers if status == 302}
    assert acknowledged <= stored
    assert any(summary in mine.text for summary in acknowledged)


def wait_until(condition: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
