"""The demo CMDB: loads idempotently and fast enough to load in bulk, meets the demo incidents'
CIs, and answers the impact questions an agent would ask about them.

Most tests load the hand-written core with a small estate around it (``SMALL``: every
service, cluster, host, array and network device, few endpoints); one test loads the full
estate and checks its shape.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.cmdb import services
from app.cmdb.cache import current_revision
from app.cmdb.demo import REASON, count_cis, load_cmdb
from app.cmdb.demo_estate import build_estate
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.impact.reference import State
from app.cmdb.models import CIClass, CIRelation, ConfigurationItem
from app.demo import load_organisation, read_demo_file, read_organisation
from tests.conftest import SMALL_DEMO_SCALE

DEMO = Path(__file__).resolve().parents[2] / "demo"
SMALL = SMALL_DEMO_SCALE


@pytest.fixture
def demo_cmdb(db, demo_report):
    """The demo organisation, the core and a small estate around it (``SMALL``), committed:
    loaded once per session for the tests marked ``demo("cmdb_small")``."""
    return demo_report


def services_of(result):
    return {s.name: s.state for s in result.services}


def incident_ci_names() -> set[str]:
    templates = json.loads((DEMO / "incidents.json").read_text(encoding="utf-8"))["templates"]
    return {name for template in templates for name in template["cis"]}


def ci_named(db, name):
    return db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == name))


def history_of(db, ci, action):
    return db.session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.object_type == "ci",
            AuditEvent.object_id == ci.id,
            AuditEvent.action == action,
        )
    ).all()


@pytest.mark.demo("cmdb_small")
def test_loading_twice_adds_nothing(db, demo_cmdb):
    assert demo_cmdb.cis_added > 400
    assert demo_cmdb.relations_added > 500
    total = count_cis()
    again = load_cmdb(read_demo_file("cmdb.json"), scale=SMALL)
    assert (again.cis_added, again.relations_added, again.classes_added) == (0, 0, 0)
    assert count_cis() == total


@pytest.mark.demo("cmdb_small")
def test_the_cis_named_by_demo_incidents_exist(db, demo_cmdb):
    text = (DEMO / "incidents.json").read_text(encoding="utf-8")
    named = set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+-\d\d|[a-z]+-[a-z]+-\d\d)"', text))
    cmdb_names = {c["name"] for c in json.loads((DEMO / "cmdb.json").read_text())["cis"]}
    assert named, "the pattern finds the incidents' CI names"
    assert named <= cmdb_names, sorted(named - cmdb_names)


@pytest.mark.demo("cmdb_small")
def test_one_depot_host_down_degrades_the_warehouse_but_two_break_it(db, demo_cmdb):
    one = services.impact_of_ci_names(["esx-rtm-02"])
    assert services_of(one) == {"Warehouse management": State.DEGRADED}
    rules = {d.name: d for d in one.decisions}
    assert rules["esx-cluster-rtm"].down == 1
    assert rules["esx-cluster-rtm"].required == 1
    assert services.offer_impact(one) == 2
    both = services.impact_of_ci_names(["esx-rtm-01", "esx-rtm-02"])
    assert services_of(both)["Warehouse management"] is State.DOWN
    assert services.offer_impact(both) == 2  # 18 users: below the "many users" threshold


@pytest.mark.demo("cmdb_small")
def test_the_san_takes_down_the_erp_with_a_path_that_explains_it(db, demo_cmdb):
    result = services.impact_of_ci_names(["san-01"])
    erp = next(s for s in result.services if s.name == "ERP")
    assert erp.state is State.DOWN
    assert erp.path.names[0] == "san-01"
    assert erp.path.names[-1] == "ERP"
    assert services.offer_impact(result) == 1


@pytest.mark.demo("cmdb_small")
def test_a_floor_switch_hits_the_people_at_their_desks(db, demo_cmdb):
    result = services.impact_of_ci_names(["sw-lyon-3f-02"])
    assert result.services == ()
    assert result.people.cut_off == 6
    assert services.offer_impact(result) == 2


@pytest.mark.demo("cmdb_small")
def test_unknown_names_are_ignored_and_names_match_in_any_case(db, demo_cmdb):
    assert services.impact_of_ci_names(["no-such-ci", ""]) is None
    assert services.offer_impact(None) is None
    result = services.impact_of_ci_names(["ERP-APP-01", "no-such-ci"])
    assert [s.name for s in result.services] == ["ERP"]
    assert services.offer_impact(result) == 1  # ERP down: its 29 users (the ERP users group)


@pytest.mark.demo("cmdb_small")
def test_retired_cis_offer_no_impact(db, demo_cmdb):
    result = services.impact_of_ci_names(["fax-srv-01"])
    assert result is not None
    assert result.affected == ()
    assert services.offer_impact(result) is None


@pytest.mark.demo("cmdb_small")
def test_upstream_names_explain_why_an_incident_may_be_a_child(db, demo_cmdb):
    needs = services.upstream_names(["wms-app-02", "no-such-ci"])
    assert "esx-rtm-02" in needs
    assert "wms-app-02" not in needs
    assert needs["esx-rtm-02"].startswith("esx-rtm-02 ")
    assert needs["esx-rtm-02"].endswith(" wms-app-02")
    assert "erp-db-01" not in needs  # the WMS application needs it, not the VM
    assert services.upstream_names(["no-such-ci"]) == {}


@pytest.mark.demo("cmdb_small")
def test_a_failing_array_reaches_business_services_with_people_and_paths(db, demo_cmdb):
    result = services.impact_of_ci_names(["san-lyon-02"])
    down = {s.name: s for s in result.services if s.state is State.DOWN}
    tms = down["Transport management"]
    assert tms.path.names[0] == "san-lyon-02"
    assert tms.path.names[-1] == "Transport management"
    assert "esx-cluster-lyon-app" in tms.path.names  # every host of the cluster needs the array
    rules = {d.name: d for d in result.decisions}
    app_cluster = rules["esx-cluster-lyon-app"]
    assert (app_cluster.members, app_cluster.down, app_cluster.required) == (8, 8, 6)
    # The ERP lives on san-01's cluster: this array does not reach it.
    assert "ERP" not in services_of(result)
    users = {
        ci.name: ci.users_count
        for ci in db.session.scalars(
            select(ConfigurationItem).where(ConfigurationItem.name.in_(list(down)))
        )
    }
    assert result.people.cut_off >= max(users.values()) == 50  # HR self-service, Service desk
    assert result.people.affected >= result.people.cut_off
    assert services.offer_impact(result) == 1


@pytest.mark.demo("cmdb_small")
def test_one_cluster_node_down_degrades_and_redundancy_runs_out(db, demo_cmdb):
    one = services.impact_of_ci_names(["esx-lyon-12"])
    rule = {d.name: d for d in one.decisions}["esx-cluster-lyon-app"]
    assert (rule.members, rule.down, rule.required, rule.state) == (8, 1, 6, State.DEGRADED)
    assert services_of(one)["Transport management"] is State.DEGRADED
    assert State.DOWN not in services_of(one).values()
    assert one.people.cut_off == 0
    two = services.impact_of_ci_names(["esx-lyon-11", "esx-lyon-12"])
    assert State.DOWN not in services_of(two).values()  # 6 of 8 up: still enough
    three = services.impact_of_ci_names(["esx-lyon-11", "esx-lyon-12", "esx-lyon-13"])
    assert services_of(three)["Transport management"] is State.DOWN


@pytest.mark.demo("cmdb_small")
def test_a_host_in_maintenance_leaves_less_redundancy(db, demo_cmdb):
    two = services.impact_of_ci_names(["esx-lyon-41", "esx-lyon-42"])
    rule = {d.name: d for d in two.decisions}["esx-cluster-lyon-test"]
    assert (rule.members, rule.down, rule.already_down, rule.state) == (4, 3, 1, State.DEGRADED)
    three = services.impact_of_ci_names(["esx-lyon-41", "esx-lyon-42", "esx-lyon-43"])
    assert {d.name: d for d in three.decisions}["esx-cluster-lyon-test"].state is State.DOWN


@pytest.mark.demo("cmdb_small")
def test_a_lost_switch_of_a_pair_degrades_the_rack_and_a_lost_ap_the_warehouse_wifi(db, demo_cmdb):
    switch = services.impact_of_ci_names(["tor-lyon-r03-a"])
    assert {d.name: d.state for d in switch.decisions}["tor-lyon-r03"] is State.DEGRADED
    assert State.DOWN not in services_of(switch).values()
    ap = services.impact_of_ci_names(["ap-rtm-wh-c1"])
    wifi = {d.name: d for d in ap.decisions}["wifi-rtm-warehouse"]
    assert wifi.state is State.DEGRADED
    scanners = [a for a in ap.affected if a.name.startswith("hs-rtm-")]
    assert scanners
    assert {a.state for a in scanners} == {State.DEGRADED}


@pytest.mark.demo("cmdb_small")
def test_backup_fails_into_its_jobs_never_into_the_file_share(db, demo_cmdb):
    backup = services.impact_of_ci_names(["backup-01"])
    assert services_of(backup) == {"Backup and restore": State.DOWN}
    assert "Backup job: file shares" in {a.name for a in backup.affected}
    share = services.impact_of_ci_names(["file-srv-01"])
    assert services_of(share) == {"File shares": State.DOWN}
    assert "Backup job: file shares" in {a.name for a in share.affected}  # nothing to copy
    # So a backup incident is no likely parent of a request about the file share.
    assert "backup-01" not in services.upstream_names(["file-srv-01"])


@pytest.mark.demo("cmdb_small")
def test_correlation_follows_real_dependencies_only(db, demo_cmdb):
    assert "fw-lyon-01" not in services.upstream_names(["sw-lyon-3f-02"])  # the LAN core
    assert "fw-lyon-01" in services.upstream_names(["mail-gw-01"])  # mail goes out through it
    assert "esx-rtm-02" in services.upstream_names(["ap-rtm-wh-c1", "wms-app-01"])
    printer = services.impact_of_ci_names(["prn-rtm-ship-01"])
    assert printer.services == ()  # a label printer jam does not stop the warehouse
    wms = services.impact_of_ci_names(["WMS application"])
    assert "prn-rtm-ship-01" in {a.name for a in wms.affected}


@pytest.mark.demo("cmdb_small")
def test_bulk_loaded_cis_and_relations_have_the_history_the_services_write(db, demo_cmdb, ci_class):
    host = ci_named(db, "esx-lyon-11")
    (created,) = history_of(db, host, "created")
    copy = services.create_ci(
        actor=None,
        ci_class=ci_class("server"),
        attribute_values={"os": "VMware ESXi 8.0 U2", "cpu_count": 64, "ram_gb": 1024},
        **{
            f: getattr(host, f)
            for f in services.FIELDS
            if f != "name" and getattr(host, f) is not None
        },
        name="esx-lyon-11-copy",
        reason=REASON,
    )
    (by_service,) = history_of(db, copy, "created")
    assert created.pop("name") == [None, "esx-lyon-11"]
    assert by_service.pop("name") == [None, "esx-lyon-11-copy"]
    assert created == by_service
    assert "attr:cpu_count" in created
    assert "asset_tag" in created

    cluster = ci_named(db, "esx-cluster-lyon-app")
    services.relate(copy, cluster, "member_of", actor=None, reason=REASON)
    bulk = [c for c in history_of(db, cluster, "relation_added") if c["source_id"] == host.id]
    service = [c for c in history_of(db, cluster, "relation_added") if c["source_id"] == copy.id]
    assert bulk[0]["relation"] == [None, "contains esx-lyon-11"]
    assert {**bulk[0], "relation": None, "source_id": None} == {
        **service[0],
        "relation": None,
        "source_id": None,
    }
    (forward,) = [c for c in history_of(db, host, "relation_added") if c["target_id"] == cluster.id]
    assert forward["relation"] == [None, "member of esx-cluster-lyon-app"]


def test_the_estate_is_the_same_every_time_and_refuses_a_bad_scale():
    core, people = read_demo_file("cmdb.json"), read_organisation()["people"]
    assert build_estate(core, people) == build_estate(core, people)
    assert build_estate(core, people, seed=1)["cis"] != build_estate(core, people)["cis"]
    for scale in (0, 1.5):
        with pytest.raises(ValueError, match="scale"):
            build_estate(core, people, scale=scale)


EXPECTED_CLASSES = {
    "business_service": (25, 35),
    "application": (40, 70),
    "database": (10, 20),
    "cluster": (25, 40),
    "virtual_machine": (100, 200),
    "container": (8, 20),
    "server": (25, 50),
    "rack": (8, 12),
    "storage": (8, 12),
    "network_device": (90, 140),
    "load_balancer": (2, 5),
    "workstation": (30, 50),
    "laptop": (60, 90),
    "phone": (40, 60),
    "mobile_device": (400, 700),
    "printer": (20, 30),
    "camera": (100, 150),
    "telematics_unit": (800, 1100),
    "software": (15, 20),
}


def test_the_full_estate_is_a_realistic_few_thousand_cis(db):
    load_organisation(read_organisation())
    before = current_revision(db.session)
    report = load_cmdb(read_demo_file("cmdb.json"))
    db.session.commit()

    assert 2000 <= report.cis_added <= 3000
    assert report.relations_added >= report.cis_added
    per_class = Counter(
        dict(
            db.session.execute(
                select(CIClass.name, func.count(ConfigurationItem.id))
                .join(ConfigurationItem, ConfigurationItem.class_id == CIClass.id)
                .group_by(CIClass.name)
            ).all()
        )
    )
    for name, (low, high) in EXPECTED_CLASSES.items():
        assert low <= per_class[name] <= high, (name, per_class[name])
    statuses = Counter(db.session.scalars(select(ConfigurationItem.status)))
    assert all(statuses[s] >= 5 for s in Lifecycle), statuses

    cis = db.session.scalars(select(ConfigurationItem)).all()
    names = {ci.name for ci in cis}
    assert incident_ci_names() <= names, sorted(incident_ci_names() - names)
    laptops = [
        ci for ci in cis if ci.ci_class.name == "laptop" and ci.status is Lifecycle.IN_SERVICE
    ]
    people = {ci.assigned_user_id for ci in laptops} - {None}
    assert len(people) == len(read_organisation()["people"])  # everyone has a laptop
    business = [ci for ci in cis if ci.ci_class.name == "business_service"]
    assert all(s.owner_id and s.support_group_id and s.users_count for s in business)

    created = db.session.scalar(
        select(func.count()).where(AuditEvent.object_type == "ci", AuditEvent.action == "created")
    )
    added = db.session.scalar(
        select(func.count()).where(
            AuditEvent.object_type == "ci", AuditEvent.action == "relation_added"
        )
    )
    relations = db.session.scalar(select(func.count()).select_from(CIRelation))
    assert (created, added) == (count_cis(), 2 * relations)
    assert current_revision(db.session) != before

    again = load_cmdb(read_demo_file("cmdb.json"))
    assert (again.cis_added, again.relations_added) == (0, 0)
