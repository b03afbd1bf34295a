"""The alert pages: recent alerts for IT staff, the sources' settings for administrators."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.alerts.parsing import parse_payload
from tests.conftest import count_queries


@pytest.fixture
def alerts_sent(db, make_ci, make_user):
    from app.alerts import services

    for name in ("db-01", "db-02"):
        make_ci(name, "server")
    monitor = make_user("monitoring", roles=["agent"])
    body = {
        "source": "zabbix",
        "alerts": [
            {"status": "firing", "summary": "Disk full", "ci": "db-01", "severity": "major"},
            {"status": "firing", "summary": "Swap storm", "ci": "db-02"},
            {"status": "firing", "summary": "Mystery", "ci": "nowhere"},
        ],
    }
    services.intake(parse_payload(body), actor=monitor)
    db.session.commit()
    return monitor


def test_agents_see_recent_alerts_with_their_ci_and_incident(signed_in, alerts_sent, db):
    from app.alerts.models import Alert

    client, _ = signed_in("agent")
    page = client.get("/alerts/").get_data(as_text=True)
    assert "Disk full" in page
    assert "Swap storm" in page
    assert "no CI" in page
    incident = db.session.scalar(select(Alert).where(Alert.summary == "Disk full")).incident
    assert f'href="/incidents/{incident.number}"' in page


def test_the_recent_alerts_page_costs_the_same_queries_whatever_the_rows(
    signed_in, alerts_sent, db, make_user
):
    from app.alerts import services

    client, _ = signed_in("agent")
    client.get("/alerts/")
    with count_queries() as few:
        client.get("/alerts/")
    body = {"source": "zabbix", "alerts": [
        {"status": "firing", "summary": f"Check {n}", "ci": "db-02"} for n in range(30)
    ]}  # fmt: skip
    services.intake(parse_payload(body), actor=alerts_sent)
    db.session.commit()
    with count_queries() as many:
        client.get("/alerts/")
    assert len(many) == len(few), "\n\n".join(q[:300] for q in many if q not in few)


@pytest.mark.parametrize(("role", "status"), [("employee", 403), ("agent", 200)])
def test_only_it_staff_see_alerts(signed_in, role, status):
    client, _ = signed_in(role)
    assert client.get("/alerts/").status_code == status


@pytest.mark.parametrize("role", ["employee", "agent"])
def test_only_administrators_configure_sources(signed_in, alerts_sent, role, db):
    from app.alerts.models import AlertSource

    source = db.session.scalar(select(AlertSource))
    client, _ = signed_in(role)
    assert client.get("/alerts/sources").status_code == 403
    assert client.post(f"/alerts/sources/{source.id}", {"damping_seconds": 1}).status_code == 403


def test_an_administrator_changes_a_source(signed_in, alerts_sent, db):
    from app.alerts.models import AlertSource

    source = db.session.scalar(select(AlertSource))
    client, _ = signed_in("admin")
    assert "zabbix" in client.get("/alerts/sources").get_data(as_text=True)
    response = client.post(
        f"/alerts/sources/{source.id}",
        {
            "version": str(source.version),
            "ci_label": "host",
            "auto_resolve": "y",
            "damping_seconds": "60",
            "group_window_seconds": "900",
            "group_wait_seconds": "120",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    source = db.session.get(AlertSource, source.id)
    assert (source.ci_label, source.auto_resolve) == ("host", True)
    assert (source.damping_seconds, source.group_window_seconds) == (60, 900)
    assert source.group_wait_seconds == 120


def test_bad_or_stale_source_edits_are_refused(signed_in, alerts_sent, db):
    from app.alerts.models import AlertSource

    source = db.session.scalar(select(AlertSource))
    client, _ = signed_in("admin")
    fields = {"version": str(source.version), "ci_label": "", "group_window_seconds": "600",
              "group_wait_seconds": "300"}  # fmt: skip
    bad = client.post(f"/alerts/sources/{source.id}", {**fields, "damping_seconds": "-5"})
    assert bad.status_code == 422
    assert "Number must be between 0 and 86400" in bad.get_data(as_text=True)
    stale = client.post(
        f"/alerts/sources/{source.id}",
        {**fields, "version": str(source.version - 1), "damping_seconds": "5"},
    )
    assert stale.status_code == 409
    assert client.get("/alerts/sources/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(AlertSource, source.id).damping_seconds == 300


def _incident_of(db, summary):
    from app.alerts.models import Alert

    return db.session.scalar(select(Alert).where(Alert.summary == summary)).incident


def test_the_incident_page_lists_its_alerts_for_it_staff(signed_in, alerts_sent, db):
    from app.alerts import services

    alert = {"status": "firing", "summary": "Disk full", "ci": "db-01", "severity": "major"}
    services.intake(parse_payload({"source": "nagios", "alerts": [alert]}), actor=alerts_sent)
    cleared = {**alert, "status": "resolved"}
    services.intake(parse_payload({"source": "nagios", "alerts": [cleared]}), actor=alerts_sent)
    db.session.commit()
    incident = _incident_of(db, "Disk full")
    client, _ = signed_in("agent")
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Monitoring alerts" in page
    section = page[page.index('id="incident-alerts"') :]
    section = section[: section.index("</section>")]
    assert "1 firing of 2" in section
    rows = section.split("<tr>")[2:]
    firing, resolved = rows  # firing first
    for shown in ("Firing", "Disk full", "zabbix", "/cmdb/", ">db-01</a>", "1×"):
        assert shown in firing  # "1×": zabbix sent it once
    for shown in ("Resolved", "Disk full", "nagios"):
        assert shown in resolved
    assert "2×" in resolved  # nagios sent it twice: firing, then resolved
    from app.alerts.models import Alert

    for alert in db.session.scalars(select(Alert).where(Alert.incident_id == incident.id)):
        assert alert.fingerprint in section
    assert "Swap storm" not in section  # another incident's alert


def test_the_alerts_of_an_incident_are_for_it_staff_only(signed_in, alerts_sent, db):
    incident = _incident_of(db, "Disk full")
    client, employee = signed_in("employee")
    incident.caller = employee
    db.session.commit()
    page = client.get(f"/incidents/{incident.number}")
    assert page.status_code == 200
    assert incident.short_description in page.get_data(as_text=True)
    assert "Monitoring alerts" not in page.get_data(as_text=True)
    assert client.get(f"/alerts/?incident={incident.number}").status_code == 403


def test_an_incident_without_alerts_shows_no_alert_panel(signed_in, alerts_sent, db):
    from app.incidents import services

    client, agent = signed_in("agent")
    plain = services.open_incident(caller=agent, opened_by=agent, short_description="Slow mail")
    db.session.commit()
    page = client.get(f"/incidents/{plain.number}").get_data(as_text=True)
    assert plain.number in page
    assert "Monitoring alerts" not in page


def test_a_storm_incident_shows_its_first_alerts_and_links_to_the_rest(signed_in, alerts_sent, db):
    from app.alerts import services
    from app.alerts.panels import SHOWN

    body = {"source": "zabbix", "alerts": [
        {"status": "firing", "summary": f"Check {n}", "ci": "db-01"} for n in range(SHOWN + 5)
    ]}  # fmt: skip
    services.intake(parse_payload(body), actor=alerts_sent)
    db.session.commit()
    incident = _incident_of(db, "Disk full")
    client, _ = signed_in("agent")
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert f"Showing {SHOWN} of {SHOWN + 6}." in page
    link = f'href="/alerts/?incident={incident.number}"'
    assert link in page
    listing = client.get(f"/alerts/?incident={incident.number}").get_data(as_text=True)
    assert f"Alerts of {incident.number}" in listing
    assert listing.count("<tr>") == SHOWN + 6 + 1  # every alert and the header
    assert "Swap storm" not in listing
    assert client.get("/alerts/?incident=INC9999999").status_code == 404


def test_the_incident_page_costs_the_same_queries_whatever_its_alerts(signed_in, alerts_sent, db):
    from app.alerts import services

    incident = _incident_of(db, "Disk full")
    client, _ = signed_in("agent")

    def page_after(checks: range) -> tuple[str, list[str]]:
        body = {"source": "other", "alerts": [
            {"status": "firing", "summary": f"Check {n}", "ci": "db-01"} for n in checks
        ]}  # fmt: skip
        services.intake(parse_payload(body), actor=alerts_sent)
        db.session.commit()
        client.get(f"/incidents/{incident.number}")  # the form's lists cached, as after a page
        with count_queries() as queries:
            page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
        return page, queries

    _, few = page_after(range(1))
    page, many = page_after(range(1, 31))
    assert "Check 30" in page
    assert len(many) == len(few)
