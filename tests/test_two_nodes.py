"""Two application nodes, one RQ worker and the SLA scheduler, as production runs them.

On loopback: two gunicorn nodes (two workers each) on one PostgreSQL schema and one Redis
database, one ``flask deskgraph worker`` for the outbox and the SLA queues, and ``flask sla
scheduler`` enqueuing a tick every two seconds. Through the nodes' HTTP only: a session signed
in on node A works on node B; an attachment uploaded on A downloads from B; a relation added on
A shows in B's impact answer on the next request; an SLA breach is recorded once and its mail
sent once, however many ticks run.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from tests.conftest import PASSWORD, build_app, migrate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/12"  # this test's own database, emptied first
SECRET = "two-nodes-secret-3f9a7c1e5b2d8046a1c9e7f3b5d2a8c4e6f0b1d3"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (requests.RequestException, OSError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture
def estate(backend, fresh_database_url, tmp_path, smtp_server) -> Iterator[dict[str, Any]]:
    """A migrated PostgreSQL schema with an agent, a queue with a 1-hour resolution SLA, an
    incident opened two hours ago and assigned to the agent, and two CIs; the environment the
    processes share."""
    if backend != "postgresql":
        pytest.skip("several nodes share PostgreSQL; SQLite is one node's database")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        "DESKGRAPH_ENV": "development",
        "DATABASE_URL": fresh_database_url,
        "SECRET_KEY": SECRET,
        "REDIS_URL": REDIS_URL,
        "DESKGRAPH_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "DESKGRAPH_LOG_LEVEL": "WARNING",
        "DESKGRAPH_ATTACHMENT_STORE": "database",
        **smtp_server.environ(),
    }
    app = build_app(fresh_database_url, tmp_path / "setup", REDIS_URL=REDIS_URL)
    migrate(app)
    with app.app_context():
        from app.extensions import db

        try:
            yield {"env": env, **_seed(app)}
        finally:
            db.session.remove()
            db.engine.dispose()


def _seed(app: Any) -> dict[str, Any]:
    from sqlalchemy import select

    from app.api.tokens.services import create_token
    from app.auth import groups, services
    from app.auth.models import Role
    from app.cmdb.models import CIClass, ConfigurationItem
    from app.extensions import db
    from app.incidents import services as incidents
    from app.sla.models import SlaCalendar, SlaPolicy
    from app.timeutils import utc_now

    admin = services.create_local_user(
        username="root", password=PASSWORD, roles=[Role.ADMIN, Role.AGENT], display_name="Root"
    )
    agent = services.create_local_user(
        username="ann", password=PASSWORD, roles=[Role.AGENT], display_name="Ann Agent",
        email="ann@example.org",
    )  # fmt: skip
    desk = groups.create_group(actor=admin, name="Service Desk")
    groups.add_members(desk, [agent], actor=admin)
    calendar = SlaCalendar(name="Always", zone="UTC", week=[[["00:00", "24:00"]]] * 7)
    db.session.add(calendar)
    db.session.add(
        SlaPolicy(
            name="Desk resolution", group_id=desk.id, calendar=calendar, kind="resolution",
            scope="group", targets={str(p): 60 for p in range(1, 6)}, pause_reasons=[],
            warnings=[],
        )
    )  # fmt: skip
    db.session.commit()
    opened = utc_now() - timedelta(hours=2)
    incident = incidents.open_incident(
        caller=agent, opened_by=agent, short_description="Printer on fire",
        assignment_group=desk, now=opened,
    )  # fmt: skip
    incidents.assign_incident(incident, group=desk, assignee=agent, actor=admin, now=opened)
    server_class = db.session.scalars(select(CIClass).order_by(CIClass.id)).first()
    app_ci = ConfigurationItem(name="payroll-app", class_id=server_class.id)
    host_ci = ConfigurationItem(name="payroll-vm", class_id=server_class.id)
    db.session.add_all([app_ci, host_ci])
    token = create_token(admin, name="two nodes").secret
    db.session.commit()

    def breaches() -> int:
        from sqlalchemy import func

        from app.tickets.models import TicketEvent

        db.session.rollback()  # read what the nodes committed since
        return db.session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .where(TicketEvent.ticket_id == incident_id, TicketEvent.type == "sla_breached")
        )

    incident_id = incident.id
    return {
        "breaches": breaches,
        "number": incident.number,
        "app_ci": app_ci.id,
        "host_ci": host_ci.id,
        "token": token,
    }


@pytest.fixture
def nodes(estate, tmp_path) -> Iterator[dict[str, str]]:
    """Start node A and node B (gunicorn, two workers each), the RQ worker and the scheduler;
    stop them all afterwards."""
    env = {**os.environ, **estate["env"]}
    ports = {"a": free_port(), "b": free_port()}
    commands = {
        **{
            f"node-{name}": [
                sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app",
            ]
            for name, port in ports.items()
        },
        "worker": [sys.executable, "-m", "flask", "--app", "wsgi", "deskgraph", "worker"],
        "scheduler": [
            sys.executable, "-m", "flask", "--app", "wsgi", "sla", "scheduler", "--interval", "2",
        ],
    }  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    try:
        for name, command in commands.items():
            log = (tmp_path / f"{name}.log").open("wb")
            logs.append(log)
            processes.append(
                subprocess.Popen(  # noqa: S603  (our own interpreter and modules)
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )  # fmt: skip
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for url in urls.values():
            wait_for(f"{url} ready", lambda u=url: requests.get(f"{u}/healthz", timeout=2).ok)
        yield urls
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in logs:
            log.close()


def api(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_two_nodes_share_sessions_files_the_cmdb_and_one_clock(estate, nodes, smtp_server):
    a, b = nodes["a"], nodes["b"]

    # A session signed in on node A works on node B.
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{a}/login", timeout=10).text).group(1)
    signed_in = browser.post(
        f"{a}/login",
        data={"username": "ann", "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    assert signed_in.ok
    on_b = browser.get(f"{b}/incidents/{estate['number']}", timeout=10)
    assert on_b.status_code == 200
    assert "/login" not in on_b.url
    assert "Printer on fire" in on_b.text

    # An attachment uploaded on node A downloads from node B.
    client = api(estate["token"])
    content = os.urandom(64 * 1024)
    uploaded = client.post(
        f"{a}/api/v1/incidents/{estate['number']}/attachments",
        files={"file": ("dump.bin", content, "application/octet-stream")},
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()["id"]
    downloaded = client.get(
        f"{b}/api/v1/incidents/{estate['number']}/attachments/{attachment}", timeout=30
    )
    assert downloaded.status_code == 200
    assert downloaded.content == content

    # A relation added on node A shows in node B's impact answer on the next request.
    def hit_by_host(url: str) -> set[int]:
        answer = client.get(f"{url}/api/v1/cis/{estate['host_ci']}/impact", timeout=30)
        assert answer.status_code == 200, answer.text
        return {ci["ci_id"] for ci in answer.json()["affected"]}

    assert estate["app_ci"] not in hit_by_host(b)  # B has loaded its graph
    related = client.post(
        f"{a}/api/v1/relations",
        json={"source": estate["app_ci"], "target": estate["host_ci"], "type": "runs_on"},
        timeout=30,
    )
    assert related.status_code == 201, related.text
    assert estate["app_ci"] in hit_by_host(b)

    # The breach is recorded once and its mail sent once, however many ticks run.
    def breach_mails() -> list[Any]:
        return [m for m in smtp_server.messages() if "breached its SLA" in str(m["Subject"])]

    wait_for("the breach mail", breach_mails, timeout=90)
    time.sleep(6)  # three more ticks
    assert len(breach_mails()) == 1
    assert estate["breaches"]() == 1
