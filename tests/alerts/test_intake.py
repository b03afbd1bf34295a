"""Alert intake: deduplication, matching, grouping into incidents, notes, damping and
automatic resolution, through the service the API calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.alerts.parsing import parse_payload
from app.timeutils import utc_now


@pytest.fixture
def estate(make_ci, relate):
    """array ← esx-1, esx-2 (depend on it) ← vm-1 (runs on esx-1) ← app-1; and a printer."""
    array = make_ci("array-1", "storage")
    esx1 = make_ci("esx-1", "server")
    esx2 = make_ci("esx-2", "server")
    vm1 = make_ci("vm-1", "server")
    app1 = make_ci("app-1", "application")
    printer = make_ci("prn-1", "workstation")
    relate(esx1, "depends_on", array)
    relate(esx2, "depends_on", array)
    relate(vm1, "runs_on", esx1)
    relate(app1, "runs_on", vm1)
    return {c.name: c for c in (array, esx1, esx2, vm1, app1, printer)}


@pytest.fixture
def monitor(make_user):
    return make_user("monitoring", roles=["agent"])


def send(db, actor, *alerts, source="nagios", now=None):
    from app.alerts import services

    body = {"source": source, "alerts": [dict(a) for a in alerts]}
    report = services.intake(parse_payload(body), actor=actor, now=now)
    db.session.commit()
    return report


def firing(ci, fingerprint=None, severity="critical", summary="Down", **extra):
    return {
        "fingerprint": fingerprint or f"{ci}-down",
        "status": "firing",
        "severity": severity,
        "summary": summary,
        "ci": ci,
        **extra,
    }


def resolved(ci, fingerprint=None, summary="Down"):
    return {**firing(ci, fingerprint, summary=summary), "status": "resolved"}


def incidents(db):
    from app.incidents.models import Incident

    return list(db.session.scalars(select(Incident).order_by(Incident.id)))


def alert_count(db):
    from app.alerts.models import Alert

    return db.session.scalar(select(func.count()).select_from(Alert))


def notes_of(incident):
    return [e.body for e in incident.journal if e.kind == "work_note"]


def test_alerts_on_dependent_cis_become_one_incident_for_the_root(db, estate, monitor):
    report = send(db, monitor, firing("app-1"), firing("esx-1"), firing("array-1"),
                  firing("vm-1"), firing("esx-2"))  # fmt: skip
    (incident,) = incidents(db)
    assert report.opened == [incident.number]
    assert incident.short_description == "array-1: Down"
    assert [c.name for c in incident.cis] == ["array-1"]
    assert incident.channel == "api"
    from app.alerts.models import Alert

    assert {a.incident_id for a in db.session.scalars(select(Alert))} == {incident.id}
    body = "\n".join(notes_of(incident))
    assert "urgency 1 from critical" in body
    for name in ("app-1", "esx-1", "vm-1", "esx-2"):
        assert f"Alert: {name}: Down (critical)" in body


def test_independent_roots_get_an_incident_each(db, estate, monitor):
    send(db, monitor, firing("esx-1"), firing("prn-1", severity="minor"), firing("app-1"))
    titles = sorted(i.short_description for i in incidents(db))
    assert titles == ["esx-1: Down", "prn-1: Down"]
    printer = next(i for i in incidents(db) if i.short_description.startswith("prn"))
    assert printer.urgency == 3


def test_the_same_payload_twice_adds_nothing(db, estate, monitor):
    alerts = (firing("app-1"), firing("array-1"), firing("esx-2"))
    send(db, monitor, *alerts)
    before = [(i.id, len(i.journal), i.version) for i in incidents(db)]
    report = send(db, monitor, *alerts)
    assert (report.unchanged, report.created, report.opened) == (3, 0, [])
    assert alert_count(db) == 3
    db.session.expire_all()
    assert [(i.id, len(i.journal), i.version) for i in incidents(db)] == before


def test_a_root_that_starts_alerting_later_adopts_the_earlier_incident(db, estate, monitor):
    send(db, monitor, firing("app-1"))
    send(db, monitor, firing("array-1"))
    early, root = incidents(db)
    assert early.short_description == "app-1: Down"
    assert early.parent_id == root.id
    assert f"Child incident {early.number}: app-1 depends on array-1." in "\n".join(notes_of(root))
    assert f"Adopted by {root.number}: app-1 depends on array-1" in "\n".join(notes_of(early))
    link = {"parent": [None, root.number]}
    assert any(e.kind == "change" and e.changes == link for e in early.journal)
    send(db, monitor, firing("esx-2"))  # a new child joins the root's incident
    from app.alerts.models import Alert

    esx2 = db.session.scalar(select(Alert).where(Alert.fingerprint == "esx-2-down"))
    assert esx2.incident_id == root.id
    assert len(incidents(db)) == 2


def test_an_incident_older_than_the_group_wait_stays_on_its_own(db, estate, monitor):
    start = utc_now()
    send(db, monitor, firing("esx-1"), now=start)
    send(db, monitor, firing("array-1"), now=start + timedelta(seconds=301))
    early, root = incidents(db)
    assert (early.short_description, root.short_description) == ("esx-1: Down", "array-1: Down")
    assert early.parent_id is None
    assert not any("Child incident" in n for n in notes_of(root))
    assert not any("Adopted" in n for n in notes_of(early))
    send(db, monitor, firing("vm-1"), now=start + timedelta(seconds=302))
    from app.alerts.models import Alert

    vm1 = db.session.scalar(select(Alert).where(Alert.fingerprint == "vm-1-down"))
    assert vm1.incident_id == root.id  # a new dependant joins the root, not the old incident


def test_the_group_wait_is_a_setting_of_the_source(db, estate, monitor):
    from app.alerts.models import AlertSource

    start = utc_now()
    send(db, monitor, firing("esx-1"), now=start)
    source = db.session.scalar(select(AlertSource))
    assert source.group_wait_seconds == 300
    source.group_wait_seconds = 900
    db.session.commit()
    send(db, monitor, firing("array-1"), now=start + timedelta(seconds=600))
    early, root = incidents(db)
    assert early.parent_id == root.id
    assert f"(the group wait of {source.name})" in "\n".join(notes_of(early))


def test_a_link_a_person_made_the_other_way_round_stands(db, estate, monitor):
    from app.incidents import services as incident_services

    send(db, monitor, firing("app-1"))
    send(db, monitor, firing("array-1"))
    early, root = incidents(db)
    incident_services.set_parent(early, None, actor=monitor)
    incident_services.set_parent(root, early, actor=monitor)  # the agent decides otherwise
    db.session.commit()
    report = send(db, monitor, firing("app-1", fingerprint="app-1-slow", summary="Slow"))
    assert report.opened == []
    db.session.expire_all()
    early, root = incidents(db)
    assert (early.parent_id, root.parent_id) == (None, early.id)


def test_alerts_are_matched_by_label_host_name_and_ip(db, make_ci, ci_class, monitor):
    from app.alerts.models import Alert, AlertSource
    from app.cmdb.models import AttributeDefinition

    db.session.add(
        AttributeDefinition(
            class_id=ci_class("network_device").id,
            name="management_ip",
            label="Management IP",
            type="string",
        )
    )
    db.session.commit()
    host = make_ci("web-07", "server")
    switch = make_ci("sw-core", "network_device", attributes={"management_ip": "10.9.8.7"})
    tagged = make_ci("Billing", "application")
    db.session.add(AlertSource(name="prom", ci_label="service"))
    db.session.commit()
    report = send(
        db,
        monitor,
        {"fingerprint": "1", "status": "firing", "summary": "x",
         "labels": {"instance": "web-07.example.org:9100"}},
        {"fingerprint": "2", "status": "firing", "summary": "x",
         "labels": {"instance": "10.9.8.7:161"}},
        {"fingerprint": "3", "status": "firing", "summary": "x",
         "labels": {"service": "billing", "host": "web-07"}},
        {"fingerprint": "4", "status": "firing", "summary": "x", "labels": {"host": "nowhere"}},
        source="prom",
    )  # fmt: skip
    found = dict(db.session.execute(select(Alert.fingerprint, Alert.ci_id)).all())
    assert found == {"1": host.id, "2": switch.id, "3": tagged.id, "4": None}
    assert report.unmatched == 1
    unmatched = next(i for i in incidents(db) if not i.cis)
    assert "names no CI" in unmatched.description


def test_a_resolved_alert_adds_a_note_and_the_incident_resolves_when_all_are(db, estate, monitor):
    from app.alerts.models import AlertSource

    start = utc_now() - timedelta(hours=1)
    send(db, monitor, firing("array-1"), firing("esx-1"), now=start)
    source = db.session.scalar(select(AlertSource))
    source.auto_resolve = True
    db.session.commit()
    later = start + timedelta(minutes=30)
    send(db, monitor, resolved("esx-1"), now=later)
    (incident,) = incidents(db)
    assert "Resolved: esx-1: Down (critical)" in notes_of(incident)[-1]
    assert incident.state == "new"
    report = send(db, monitor, resolved("array-1"), now=later)
    db.session.expire_all()
    (incident,) = incidents(db)
    assert report.resolved == [incident.number]
    assert incident.state == "resolved"
    assert incident.resolution_code == "solved_permanently"


def test_without_automatic_resolution_the_incident_stays_open(db, estate, monitor):
    start = utc_now() - timedelta(hours=1)
    send(db, monitor, firing("array-1"), now=start)
    send(db, monitor, resolved("array-1"), now=start + timedelta(minutes=30))
    (incident,) = incidents(db)
    assert incident.state == "new"
    assert "Resolved: array-1" in notes_of(incident)[-1]


def test_flapping_alerts_are_damped(db, estate, monitor):
    from app.alerts.models import Alert, AlertSource

    start = utc_now() - timedelta(hours=1)
    send(db, monitor, firing("array-1"), now=start)
    db.session.scalar(select(AlertSource)).auto_resolve = True
    db.session.commit()
    (incident,) = incidents(db)
    notes = len(notes_of(incident))
    for seconds, alert in ((20, resolved), (40, firing), (60, resolved), (80, firing)):
        report = send(db, monitor, alert("array-1"), now=start + timedelta(seconds=seconds))
        assert report.damped == 1
    db.session.expire_all()
    (incident,) = incidents(db)
    assert incident.state == "new"  # a flap never resolves it
    assert len(notes_of(incident)) == notes  # nor writes notes
    assert db.session.scalar(select(Alert.flap_count)) == 4


def test_an_alert_firing_after_its_incident_closed_opens_a_new_one(db, estate, monitor):
    from app.incidents import services as incident_services
    from app.incidents.workflow import State, Transition

    send(db, monitor, firing("prn-1"))
    (first,) = incidents(db)
    incident_services.change_state(first, Transition(State.CANCELED), actor=monitor)
    db.session.commit()
    report = send(db, monitor, firing("prn-1"))
    assert len(report.opened) == 1
    assert len(incidents(db)) == 2


def test_the_impact_engine_suggests_the_priority(db, estate, make_ci, relate, monitor):
    service = make_ci("Payroll", "business_service", users_count=400)
    relate(estate["app-1"], "provides", service)
    send(db, monitor, firing("array-1", severity="warning"))
    (incident,) = incidents(db)
    assert incident.impact == 1  # a service of 400 people goes down
    assert incident.urgency == 2
    assert "impact 1 from the CMDB (1 service(s) affected, 1 down" in notes_of(incident)[0]
