"""The demo CMDB: loads idempotently, meets the demo incidents' CIs, and answers the impact
questions an agent would ask about them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.cmdb import services
from app.cmdb.demo import count_cis, load_cmdb
from app.cmdb.impact import State
from app.demo import read_demo_file

DEMO = Path(__file__).resolve().parents[2] / "demo"


def services_of(result):
    return {s.name: s.state for s in result.services}


def test_loading_twice_adds_nothing(db, demo_cmdb):
    assert demo_cmdb.cis_added > 50
    assert demo_cmdb.relations_added > 80
    total = count_cis()
    again = load_cmdb(read_demo_file("cmdb.json"))
    assert (again.cis_added, again.relations_added, again.classes_added) == (0, 0, 0)
    assert count_cis() == total


def test_the_cis_named_by_demo_incidents_exist(db, demo_cmdb):
    text = (DEMO / "incidents.json").read_text(encoding="utf-8")
    named = set(re.findall(r'"([a-z]+(?:-[a-z0-9]+)+-\d\d|[a-z]+-[a-z]+-\d\d)"', text))
    cmdb_names = {c["name"] for c in json.loads((DEMO / "cmdb.json").read_text())["cis"]}
    assert named, "the pattern finds the incidents' CI names"
    assert named <= cmdb_names, sorted(named - cmdb_names)


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


def test_the_san_takes_down_the_erp_with_a_path_that_explains_it(db, demo_cmdb):
    result = services.impact_of_ci_names(["san-01"])
    erp = next(s for s in result.services if s.name == "ERP")
    assert erp.state is State.DOWN
    assert erp.path.names[0] == "san-01"
    assert erp.path.names[-1] == "ERP"
    assert services.offer_impact(result) == 1


def test_a_floor_switch_hits_the_people_at_their_desks(db, demo_cmdb):
    result = services.impact_of_ci_names(["sw-lyon-3f-02"])
    assert result.services == ()
    assert result.people.cut_off == 6
    assert services.offer_impact(result) == 2


def test_unknown_names_are_ignored_and_names_match_in_any_case(db, demo_cmdb):
    assert services.impact_of_ci_names(["no-such-ci", ""]) is None
    assert services.offer_impact(None) is None
    result = services.impact_of_ci_names(["ERP-APP-01", "no-such-ci"])
    assert [s.name for s in result.services] == ["ERP"]
    assert services.offer_impact(result) == 1  # ERP down, 32 users


def test_retired_cis_offer_no_impact(db, demo_cmdb):
    result = services.impact_of_ci_names(["fax-srv-01"])
    assert result is not None
    assert result.affected == ()
    assert services.offer_impact(result) is None


def test_upstream_names_explain_why_an_incident_may_be_a_child(db, demo_cmdb):
    needs = services.upstream_names(["wms-app-02", "no-such-ci"])
    assert "esx-rtm-02" in needs
    assert "wms-app-02" not in needs
    assert needs["esx-rtm-02"].startswith("esx-rtm-02 ")
    assert needs["esx-rtm-02"].endswith(" wms-app-02")
    assert "erp-db-01" not in needs  # the WMS application needs it, not the VM
    assert services.upstream_names(["no-such-ci"]) == {}
