"""``flask deskgraph doctor``: one finding per part of the deployment, status 1 when a part the
desk needs is broken, and never a crash or a change."""

from __future__ import annotations

import json
import socket

import pytest

from app.doctor import FAIL, OK, WARN, run_checks, skew_finding
from app.ops import periodic
from app.sla.jobs import TICK_JOB
from tests.conftest import build_app


def findings(app) -> dict[str, tuple[str, str]]:
    with app.app_context():
        return {f.name: (f.status, f.detail) for f in run_checks(app)}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_healthy_test_deployment(app, db):
    found = findings(app)
    assert found["database"][0] == OK
    assert found["migrations"][0] == OK
    assert found["secret key"][0] == OK
    assert found["smtp"][0] == WARN  # mail recorded, not sent
    assert found["directory"][0] == OK  # local accounts only
    assert found["sla scheduler"][0] == WARN  # never ticked
    assert found["outbox"] == (OK, "0 pending (oldest 0 min), 0 dead.")
    assert "never ticked" in found["sla scheduler"][1]


def test_the_scheduler_is_ok_once_the_clock_ticked(app, db):
    periodic.run_once(TICK_JOB, lambda: None)
    assert findings(app)["sla scheduler"][0] == OK


def test_a_reachable_smtp_server_and_redis_pass(app, db, sending, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    found = findings(app)
    assert found["smtp"][0] == OK
    assert found["redis"][0] in (OK, WARN)  # WARN: no RQ worker runs in the test
    assert found["redis clock"][0] == OK


def test_unreachable_parts_fail_and_the_command_exits_1(app, db, monkeypatch):
    port = closed_port()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
    result = app.test_cli_runner().invoke(args=["deskgraph", "doctor", "--json"])
    assert result.exit_code == 1
    by_name = {f["check"]: f for f in json.loads(result.output)}
    assert by_name["smtp"]["status"] == FAIL
    assert f"127.0.0.1:{port}" in by_name["smtp"]["detail"]
    assert by_name["redis"]["status"] == FAIL
    assert by_name["database"]["status"] == OK


def test_an_unwritable_attachment_folder_fails(app, db, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "directory")
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "missing"))
    assert findings(app)["attachments"][0] == FAIL
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path))
    assert findings(app)["attachments"][0] == OK


def test_a_database_without_the_schema_fails_migrations(fresh_database_url, tmp_path):
    from app.extensions import db

    bare = build_app(fresh_database_url, tmp_path)
    found = findings(bare)
    with bare.app_context():
        db.session.remove()
        db.engine.dispose()
    assert found["database"][0] == OK
    assert found["migrations"][0] == FAIL
    assert "db upgrade" in found["migrations"][1]


@pytest.mark.parametrize(("seconds", "status"), [(0.5, OK), (5, WARN), (120, FAIL)])
def test_clock_skew_is_judged_by_its_size(seconds, status):
    from datetime import UTC, datetime, timedelta

    ours = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert skew_finding("database clock", ours + timedelta(seconds=seconds), ours).status == status
