"""Redis killed under traffic: the pages and the API keep working (the rate limits it stores
are skipped, never an error), what the desk committed meanwhile waits in the outbox, and jobs
resume when Redis is back: new ones through RQ, those lost with Redis through ``flask outbox
run``, each delivered once.

The Redis server is one of this test's own (``tests/redis_server.py``), never the shared one.
The SLA scheduler's side of an outage is ``tests/sla/test_schedule.py``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, Client, build_app, migrate
from tests.redis_server import private_redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


@pytest.fixture
def desk(backend: str, fresh_database_url: str, tmp_path: Any, private_redis: Any) -> Any:  # noqa: F811
    """The application built with ``REDIS_URL`` on the private server (the outbox queues on
    RQ, the API's rate limits are stored there), an employee signed in, her API token."""
    if backend != "postgresql":
        pytest.skip("production runs Redis beside PostgreSQL")
    app = build_app(fresh_database_url, tmp_path / "instance", REDIS_URL=private_redis.url)
    migrate(app)
    with app.app_context():
        from app.api.tokens.services import create_token
        from app.auth import services
        from app.auth.models import Role
        from app.extensions import db

        emma = services.create_local_user(
            username="emma", password=PASSWORD, roles=[Role.EMPLOYEE], display_name="Emma"
        )
        token = create_token(emma, name="script").secret
        db.session.commit()
        db.session.remove()
    client = Client(app.test_client())
    assert client.login("emma").status_code == 302
    yield app, client, token
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def report(client: Client, summary: str) -> None:
    response = client.post("/incidents/report", {"short_description": summary, "urgency": "3"})
    assert response.status_code == 302, response.status_code


def test_pages_work_without_redis_and_jobs_resume_when_it_is_back(desk, private_redis):  # noqa: F811
    from redis import Redis
    from rq import Queue, SimpleWorker

    from app.extensions import db
    from app.outbox.models import OutboxMessage, OutboxState

    app, client, token = desk
    report(client, "Before: VPN drops")
    private_redis.stop()  # killed: its queue (the first report's job) is gone with it

    report(client, "During: printer jams")
    mine = client.get("/incidents/mine")
    assert mine.status_code == 200
    assert "During: printer jams" in mine.text
    api = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert client.get("/healthz/ready").status_code == 200

    private_redis.start()  # back, empty
    report(client, "After: outlook asks for a password")
    connection = Redis.from_url(private_redis.url)
    try:
        assert Queue("outbox", connection=connection).count == 1  # the new job only
        with app.app_context():
            SimpleWorker(["outbox"], connection=connection).work(burst=True)
    finally:
        connection.connection_pool.disconnect()
    drained = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert drained.exit_code == 0, drained.output
    assert "0 pending, 0 dead" in drained.output

    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        db.session.remove()
    assert len(messages) == 3  # one fan-out per report
    assert {m.state for m in messages} == {OutboxState.DONE}
    assert [m.attempts for m in messages] == [1, 1, 1]  # each delivered once
