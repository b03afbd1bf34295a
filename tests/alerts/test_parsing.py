"""Alert payloads: Alertmanager's webhook (version 4) and the generic JSON, read or refused
with every problem named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.alerts.parsing import MAX_ALERTS, PayloadError, fingerprint_of, parse_payload


def alertmanager(*alerts, receiver="prometheus"):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HostDown"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": receiver,
        "groupLabels": {"alertname": "HostDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def am_alert(**changes):
    alert = {
        "status": "firing",
        "labels": {"alertname": "HostDown", "instance": "esx-lyon-01:9100", "severity": "page"},
        "annotations": {"summary": "Host esx-lyon-01 is down"},
        "startsAt": "2026-12-06T12:00:00.123Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": "c4a1b2",
    }
    alert.update(changes)
    return alert


def test_an_alertmanager_payload_is_read_with_its_receiver_as_source():
    payload = parse_payload(alertmanager(am_alert()))
    assert payload.source == "prometheus"
    (alert,) = payload.alerts
    assert alert.fingerprint == "c4a1b2"
    assert alert.status == "firing"
    assert alert.severity == "critical"  # "page" means critical
    assert alert.summary == "Host esx-lyon-01 is down"
    assert alert.labels["instance"] == "esx-lyon-01:9100"
    assert alert.starts_at == datetime(2026, 12, 6, 12, 0, 0, 123000, tzinfo=UTC)
    assert alert.ends_at is None  # Alertmanager's zero time


def test_an_alertmanager_alert_without_summary_or_fingerprint_still_reads():
    raw = am_alert(annotations={}, fingerprint=None)
    (alert,) = parse_payload(alertmanager(raw)).alerts
    assert alert.summary == "HostDown"
    assert alert.fingerprint == fingerprint_of(raw["labels"])


def test_a_generic_payload_is_read():
    payload = parse_payload(
        {
            "source": "zabbix",
            "alerts": [
                {
                    "fingerprint": "trigger-1",
                    "status": "resolved",
                    "severity": "High",
                    "summary": "Disk full",
                    "labels": {"volume": "/var", "port": 22},
                    "ci": "erp-db-01",
                    "starts_at": "2026-12-06T13:00:00+01:00",
                }
            ],
        }
    )
    (alert,) = payload.alerts
    assert payload.source == "zabbix"
    assert (alert.status, alert.severity, alert.ci_hint) == ("resolved", "major", "erp-db-01")
    assert alert.labels == {"volume": "/var", "port": "22"}
    assert alert.starts_at == datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_a_generic_alert_without_fingerprint_gets_a_stable_one():
    body = {"source": "s", "alerts": [{"status": "firing", "summary": "Down", "ci": "x"}]}
    first = parse_payload(body).alerts[0].fingerprint
    assert first == parse_payload(body).alerts[0].fingerprint
    other = {"source": "s", "alerts": [{"status": "firing", "summary": "Down", "ci": "y"}]}
    assert parse_payload(other).alerts[0].fingerprint != first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"source": "s"}, "alerts"),
        ({"source": "s", "alerts": []}, "alerts"),
        ({"alerts": [{"status": "firing", "summary": "x"}]}, "source"),
        ({"source": "s", "alerts": [{"status": "on fire", "summary": "x"}]}, "alerts[0].status"),
        ({"source": "s", "alerts": [{"status": "firing"}]}, "alerts[0].summary"),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "sevrity": "low"}]},
            "alerts[0]",
        ),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "severity": "mild"}]},
            "alerts[0].severity",
        ),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "starts_at": "now"}]},
            "alerts[0].starts_at",
        ),
        (
            {
                "source": "s",
                "alerts": [{"status": "firing", "summary": "x", "starts_at": "2026-12-06T13:00"}],
            },
            "alerts[0].starts_at",
        ),
        (
            {"source": "s", "alerts": [{"status": "firing", "summary": "x", "labels": []}]},
            "alerts[0].labels",
        ),  # fmt: skip
        ({"source": "s", "extra": 1, "alerts": [{"status": "firing", "summary": "x"}]}, "body"),
        (alertmanager(am_alert(status="pending")), "alerts[0].status"),
        (alertmanager(am_alert(fingerprint="x" * 200)), "alerts[0].fingerprint"),
    ],
)
def test_bad_payloads_are_refused_with_the_field_that_is_wrong(body, field):
    with pytest.raises(PayloadError) as refused:
        parse_payload(body)
    assert field in refused.value.errors


def test_every_problem_is_reported_at_once():
    body = {"source": "s", "alerts": [{"status": "x", "summary": "ok"}, {"status": "firing"}]}
    with pytest.raises(PayloadError) as refused:
        parse_payload(body)
    assert set(refused.value.errors) == {"alerts[0].status", "alerts[1].summary"}


def test_too_many_alerts_are_refused():
    body = {"source": "s", "alerts": [{"status": "firing", "summary": "x"}] * (MAX_ALERTS + 1)}
    with pytest.raises(PayloadError, match="At most"):
        parse_payload(body)


SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALAR,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
ALERT_KEYS = st.sampled_from(
    ["status", "summary", "fingerprint", "severity", "labels", "annotations", "ci", "starts_at",
     "ends_at", "startsAt", "endsAt", "receiver", "version", "source", "alerts"]
)  # fmt: skip
ALERT = st.dictionaries(ALERT_KEYS, JSON | st.sampled_from(["firing", "resolved"]), max_size=8)


def read_or_refuse(document):
    """``(payload, None)`` or ``(None, errors)``; any other exception escapes."""
    try:
        return parse_payload(document), None
    except PayloadError as error:
        return None, error.errors


@given(
    st.dictionaries(
        st.sampled_from(["source", "receiver", "version", "groupKey", "alerts", "extra"]),
        JSON | st.lists(ALERT, min_size=1, max_size=4) | st.text(max_size=10),
        max_size=5,
    )
    | JSON
)
@settings(max_examples=300, deadline=None)
def test_any_json_is_read_or_refused_with_field_errors(document):
    """Whatever a sender posts, the reader answers a payload or field errors (never a crash
    that would be a 500)."""
    payload, errors = read_or_refuse(document)
    if payload is None:
        assert errors
        assert all(isinstance(m, str) and m for m in errors.values())
    else:
        assert payload.source
        assert all(a.status in ("firing", "resolved") for a in payload.alerts)
