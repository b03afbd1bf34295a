"""``/metrics`` for Prometheus (only with its bearer token), and log lines as JSON."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from app.ops import periodic
from app.ops.observability import JsonFormatter, RequestIdFilter
from app.outbox.models import OutboxMessage
from app.sla.jobs import TICK_JOB
from app.timeutils import utc_now

TOKEN = "metrics-token-for-tests"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_without_a_token_setting_there_is_no_metrics_endpoint(client):
    assert client.get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_report_requests_outbox_lag_and_the_tick_age(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    client.get("/healthz/live")
    periodic.run_once(TICK_JOB, lambda: None)
    waiting_since = utc_now() - timedelta(minutes=5)
    db.session.add(OutboxMessage(kind="mail.send", payload={}, created_at=waiting_since))
    db.session.flush()
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found = samples(response.get_data(as_text=True))
    live = (
        "deskgraph_request_duration_seconds_count",
        (("endpoint", "ops.live"), ("method", "GET"), ("status", "2xx")),
    )
    assert found[live] >= 1
    assert found[("deskgraph_outbox_messages", (("state", "pending"),))] >= 1
    assert 300 <= found[("deskgraph_outbox_lag_seconds", ())] < 360
    tick_age = found[("deskgraph_periodic_job_age_seconds", (("job", TICK_JOB),))]
    assert 0 <= tick_age < 60
    assert found[("deskgraph_database_up", ())] == 1


def test_json_log_lines_carry_the_request_id_and_the_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("app.tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("Saving failed for %s", "INC0001001")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "Saving failed for INC0001001"
    assert line["level"] == "ERROR"
    assert line["request_id"] == "-"
    assert "ValueError: boom" in line["exception"]
    assert line["time"].endswith("+00:00")
