"""``POST /api/v1/alerts``: a service account's token posts Alertmanager's webhook or the
generic JSON; bad bodies get problem details naming what is wrong, and nothing is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

WEBHOOK = {
    "version": "4",
    "groupKey": '{}:{alertname="HostDown"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "prometheus",
    "groupLabels": {"alertname": "HostDown"},
    "commonLabels": {"alertname": "HostDown"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HostDown", "instance": "esx-9:9100", "severity": "critical"},
            "annotations": {"summary": "esx-9 is down"},
            "startsAt": "2026-12-06T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph",
            "fingerprint": "a1",
        },
        {
            "status": "firing",
            "labels": {"alertname": "ArrayDown", "instance": "array-9", "severity": "critical"},
            "annotations": {"summary": "array-9 controllers offline"},
            "startsAt": "2026-12-06T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus/graph",
            "fingerprint": "a2",
        },
    ],
}


@pytest.fixture
def monitoring(db, make_ci, relate, make_token):
    """The service account of the monitoring, with an ``alerts:write`` token, and a host that
    depends on an array."""
    from app.api.tokens import services as tokens
    from app.auth.models import Role

    relate(make_ci("esx-9", "server"), "depends_on", make_ci("array-9", "storage"))
    account = tokens.create_service_account(
        username="prometheus", display_name="Prometheus", roles=[Role.AGENT]
    )
    db.session.commit()
    return account, make_token(account, scopes=["alerts:write"])


@pytest.fixture
def api(app, monitoring):
    from tests.api.conftest import ApiClient

    return ApiClient(app.test_client(), monitoring[1])


def counts(db):
    from app.alerts.models import Alert
    from app.incidents.models import Incident

    return (
        db.session.scalar(select(func.count()).select_from(Alert)),
        db.session.scalar(select(func.count()).select_from(Incident)),
    )


def test_an_alertmanager_webhook_opens_one_incident_for_the_root(api, db):
    response = api.post("/api/v1/alerts", json=WEBHOOK)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["source"] == "prometheus"
    assert (report["received"], report["created"], report["unmatched"]) == (2, 2, 0)
    (number,) = report["incidents_opened"]
    from app.incidents.models import Incident

    incident = db.session.scalar(select(Incident).where(Incident.number == number))
    assert incident.short_description == "array-9: array-9 controllers offline"
    assert [c.name for c in incident.cis] == ["array-9"]
    assert incident.caller.username == "prometheus"
    assert counts(db) == (2, 1)


def test_the_same_webhook_twice_adds_nothing(api, db):
    api.post("/api/v1/alerts", json=WEBHOOK)
    again = api.post("/api/v1/alerts", json=WEBHOOK).get_json()
    assert (again["unchanged"], again["created"], again["incidents_opened"]) == (2, 0, [])
    assert again["incidents_updated"] == []
    assert counts(db) == (2, 1)


def test_a_generic_payload_is_accepted(api, db):
    body = {"source": "zabbix", "alerts": [
        {"fingerprint": "t1", "status": "firing", "severity": "warning",
         "summary": "Swap usage", "ci": "esx-9", "labels": {"port": 22}},
    ]}  # fmt: skip
    response = api.post("/api/v1/alerts", json=body)
    assert response.status_code == 200
    assert response.get_json()["source"] == "zabbix"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "s", "alerts": [{"status": "burning", "summary": "x"}]}, "alerts.0.status"),
        ({"source": "s", "alerts": [{"status": "firing"}]}, "alerts[0].summary"),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "typo": 1}]},
            "alerts[0]",
        ),  # fmt: skip
        ({"source": "s", "alerts": []}, "alerts"),
        ({"alerts": [{"status": "firing", "summary": "x"}]}, "source"),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "severity": "meh"}]},
            "alerts[0].severity",
        ),  # fmt: skip
    ],
)
def test_bad_alerts_are_refused_with_problem_details(api, db, body, field):
    response = api.post("/api/v1/alerts", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert field in fields
    assert counts(db) == (0, 0)


def test_a_bad_alert_among_good_ones_saves_nothing(api, db):
    body = {"source": "s", "alerts": [
        {"status": "firing", "summary": "fine", "ci": "esx-9"},
        {"status": "firing", "summary": "bad", "starts_at": "yesterday"},
    ]}  # fmt: skip
    response = api.post("/api/v1/alerts", json=body)
    assert response.status_code == 422
    assert "alerts[1].starts_at" in {e["field"] for e in response.get_json()["errors"]}
    assert counts(db) == (0, 0)


def test_malformed_json_and_other_content_types_are_refused(api, db):
    broken = api.post(
        "/api/v1/alerts", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.mimetype == "application/problem+json"
    form = api.post("/api/v1/alerts", data={"source": "s"})
    assert form.status_code == 415
    assert counts(db) == (0, 0)


def test_tokens_without_the_scope_or_the_role_are_refused(app, db, monitoring, make_user,
                                                          make_token):  # fmt: skip
    from tests.api.conftest import ApiClient

    account, _ = monitoring
    read_only = ApiClient(app.test_client(), make_token(account, scopes=["incidents:read"]))
    refused = read_only.post("/api/v1/alerts", json=WEBHOOK)
    assert refused.status_code == 403
    assert "alerts:write" in refused.get_json()["detail"]
    employee = make_user(roles=["employee"])
    not_staff = ApiClient(app.test_client(), make_token(employee, scopes=["alerts:write"]))
    assert not_staff.post("/api/v1/alerts", json=WEBHOOK).status_code == 403
    anonymous = app.test_client().post("/api/v1/alerts", json=WEBHOOK)
    assert anonymous.status_code == 401
    assert counts(db) == (0, 0)


def test_the_operation_is_in_the_openapi_document(app, db):
    document = app.test_client().get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/v1/alerts"]["post"]
    assert "200" in operation["responses"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/AlertsIn")
