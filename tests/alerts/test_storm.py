"""The storm: a storage array and a top-of-rack switch of the demo estate fail, and alerts
arrive for every CI that depends on them, in random order and in several requests. The desk
opens one top-level incident per independent root, links everything else to them, and loses
nothing when the same payloads arrive twice. (bench/alert_storm.py runs it at 10,000 alerts.)
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import func, select

from app.alerts.parsing import parse_payload
from tests.conftest import build_app, migrate

ROOTS = ("san-lyon-02", "tor-lyon-r03")
ALERTS = 300
BATCH = 100


def storm_payloads(names: list[str], count: int, seed: int = 18) -> list[dict]:
    """``count`` firing alerts spread over ``names`` (several checks per CI), shuffled, in
    payloads of :data:`BATCH`."""
    checks = ("HostDown", "HighLatency", "DiskErrors", "ServiceUnavailable", "PacketLoss")
    alerts = [
        {
            "fingerprint": f"{names[i % len(names)]}/{checks[(i // len(names)) % len(checks)]}"
            f"/{i // (len(names) * len(checks))}",
            "status": "firing",
            "severity": "critical" if i % 3 == 0 else "warning",
            "summary": checks[(i // len(names)) % len(checks)],
            "ci": names[i % len(names)],
        }
        for i in range(count)
    ]
    random.Random(seed).shuffle(alerts)
    return [
        {"source": "storm", "alerts": alerts[start : start + BATCH]}
        for start in range(0, count, BATCH)
    ]


def affected_names(names: tuple[str, ...]) -> list[str]:
    from app.cmdb.analysis import impact_of_cis
    from app.cmdb.cache import current_graph

    result = impact_of_cis(current_graph().ids_for(list(names)))
    assert result is not None
    return [a.name for a in result.affected]


@pytest.mark.demo("cmdb_small")
def test_a_storm_becomes_one_incident_per_independent_root(db, make_user):
    from app.alerts import services
    from app.alerts.models import Alert
    from app.incidents.models import Incident

    monitor = make_user("monitoring", roles=["agent"])
    names = affected_names(ROOTS)
    assert len(names) > 100
    payloads = storm_payloads(names, ALERTS)
    for payload in payloads:
        services.intake(parse_payload(payload), actor=monitor)
        db.session.commit()

    opened = db.session.scalars(select(Incident).where(Incident.opened_by_id == monitor.id))
    incidents = {i.id: i for i in opened}
    top = [i for i in incidents.values() if i.parent_id is None]
    assert sorted(i.short_description.split(":")[0] for i in top) == sorted(ROOTS)
    assert all(i.parent_id in {t.id for t in top} for i in incidents.values() if i.parent_id)
    alerts = db.session.scalars(select(Alert)).all()
    assert len(alerts) == ALERTS
    assert all(a.incident_id in incidents for a in alerts)  # each alert linked
    entries = sum(len(i.journal) for i in incidents.values())

    for payload in payloads:  # the same storm again: nothing is added
        report = services.intake(parse_payload(payload), actor=monitor)
        db.session.commit()
        assert (report.created, report.opened, report.attached) == (0, [], [])
    db.session.expire_all()
    again = db.session.scalars(select(Incident).where(Incident.opened_by_id == monitor.id))
    assert {i.id for i in again} == set(incidents)
    assert sum(len(i.journal) for i in incidents.values()) == entries
    assert db.session.scalar(select(func.count()).select_from(Alert)) == ALERTS


def estate_app(database_url: str, instance, root_name: str, hosts: tuple[str, ...], source=None):
    """A migrated app on its own database: a storage array, hosts that depend on it, the
    ``monitoring`` user and, when named, an alert source that exists already."""
    from app.alerts import services
    from app.auth import services as accounts
    from app.cmdb import services as cmdb
    from app.cmdb.models import CIClass
    from app.extensions import db

    app = build_app(database_url, instance)
    migrate(app)
    with app.app_context():
        server = db.session.scalar(select(CIClass).where(CIClass.name == "server"))
        array = db.session.scalar(select(CIClass).where(CIClass.name == "storage"))
        root = cmdb.create_ci(actor=None, ci_class=array, name=root_name)
        for name in hosts:
            host = cmdb.create_ci(actor=None, ci_class=server, name=name)
            cmdb.relate(host, root, "depends_on", actor=None)
        accounts.create_local_user(username="monitoring", display_name="Monitoring", password=None)
        if source is not None:
            services.source_named(source)
        db.session.commit()
    return app


def post_two_at_once(app, first: list[str], second: list[str]) -> list[BaseException]:
    """Post firing alerts on the ``first`` CIs and hold that request uncommitted until the
    request for the ``second`` CIs has started; the errors either raised."""
    from app.alerts import services
    from app.auth.models import User
    from app.extensions import db

    second_started = threading.Event()
    errors: list[BaseException] = []

    def post(cis: list[str], wait_before_commit: bool) -> None:
        try:
            with app.app_context():
                actor = db.session.scalar(select(User).where(User.username == "monitoring"))
                alerts = [{"status": "firing", "summary": "Down", "ci": ci} for ci in cis]
                services.intake(parse_payload({"source": "s", "alerts": alerts}), actor=actor)
                if wait_before_commit:  # hold the open group until the other one is waiting
                    second_started.wait(10)
                    time.sleep(1)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported by the caller's assertion
            errors.append(error)

    one = threading.Thread(target=post, args=(first, True))
    one.start()
    time.sleep(1)  # the first has opened its group and waits, uncommitted
    two = threading.Thread(target=post, args=(second, False))
    two.start()
    second_started.set()
    one.join(30)
    two.join(30)
    return errors


def test_two_requests_for_one_root_at_once_open_one_incident(backend, fresh_database_url, tmp_path):
    """The second request waits on the first's open group (its unique key) and joins it."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers with its database lock")
    from app.alerts.models import Alert
    from app.extensions import db
    from app.incidents.models import Incident

    app = estate_app(fresh_database_url, tmp_path / "instance", "array-9", ("esx-91", "esx-92"))
    errors = post_two_at_once(app, ["esx-91", "array-9"], ["esx-92", "array-9"])
    assert errors == []
    with app.app_context():
        numbers = list(db.session.scalars(select(Incident.number)))
        on = set(db.session.scalars(select(Alert.incident_id)))
        db.session.remove()
        db.engine.dispose()
    assert len(numbers) == 1
    assert len(on) == 1


def test_a_root_arriving_while_a_dependants_request_is_uncommitted_adopts_it(
    backend, fresh_database_url, tmp_path
):
    """The root's request waits for the dependant's (the grouping lock), then sees its
    incident and adopts it: without the lock each misses the other and both stay apart."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers with its database lock")
    from app.extensions import db
    from app.incidents.models import Incident

    # the source exists already: its first alert would make the two wait on its name
    app = estate_app(fresh_database_url, tmp_path / "instance", "array-8", ("esx-81",), "s")
    assert post_two_at_once(app, ["esx-81"], ["array-8"]) == []
    with app.app_context():
        rows = db.session.execute(
            select(Incident.short_description, Incident.id, Incident.parent_id).order_by(
                Incident.id
            )
        ).all()
        db.session.remove()
        db.engine.dispose()
    (child, _, child_parent), (parent, parent_id, parent_parent) = rows
    assert (child, parent) == ("esx-81: Down", "array-8: Down")
    assert (child_parent, parent_parent) == (parent_id, None)
