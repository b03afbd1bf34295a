"""NetBox's demo estate imported into the application (the CMDB's JSON import, on both
databases) and asked through the application's analysis, graph cache and all: a power panel
fails. The expected answer is read from the raw NetBox objects."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.cmdb import analysis, services
from app.cmdb.impact.reference import State
from app.cmdb.models import CIClass
from app.cmdb.transfer.imports import import_file
from tests.cmdb.netbox_estate import build_estate, read_netbox

NB = read_netbox()


def import_estate(db) -> tuple[int, int]:
    """The whole estate as an import file (classes it lacks added first); its CI and
    relation counts."""
    estate = build_estate()
    known = set(db.session.scalars(select(CIClass.name)))
    for name in sorted({ci.ci_class for ci in estate.cis.values()} - known):
        services.add_class(actor=None, name=name, label=name.replace("_", " ").capitalize())

    def rule(ci, field):
        return getattr(ci.redundancy, field) if ci.redundancy else None

    document = {
        "cis": [
            {
                "name": ci.name,
                "class": ci.ci_class,
                "status": ci.status.value,
                "min_up": rule(ci, "min_up"),
                "min_up_percent": rule(ci, "min_up_percent"),
            }
            for ci in estate.cis.values()
        ],
        "relations": [
            {
                "source": estate.cis[source].name,
                "source_class": estate.cis[source].ci_class,
                "type": type_name,
                "target": estate.cis[target].name,
                "target_class": estate.cis[target].ci_class,
            }
            for source, target, type_name in estate.relations
        ],
    }
    report = import_file(
        json.dumps(document).encode(), filename="netbox.json", actor=None, dry_run=False
    )
    assert report.ok, report.errors[:5]
    db.session.commit()
    return report.created, report.relations_added


def test_a_power_panel_through_the_app_degrades_the_racks_it_feeds(db):
    estate = build_estate()
    assert import_estate(db) == (len(estate.cis), len(estate.relations))

    panel = next(pk for pk, p in NB["dcim.powerpanel"].items() if p["name"] == "Panel 1")
    feeds = {f["name"] for f in NB["dcim.powerfeed"].values() if f["power_panel"] == panel}
    fed = {f["rack"] for f in NB["dcim.powerfeed"].values() if f["power_panel"] == panel}
    racks = {NB["dcim.rack"][r]["name"] for r in fed}
    devices = {
        estate.cis[f"device:{pk}"].name for pk, d in NB["dcim.device"].items() if d["rack"] in fed
    }
    assert (len(racks), len(devices)) == (16, 11)  # R101–R208: core and ToR switches, a server

    result = analysis.impact_of_ci_names(["Panel 1"])

    states = {a.name: a.state for a in result.affected}
    assert {states[r] for r in racks} == {State.DEGRADED}
    assert {states[d] for d in devices} == {State.DEGRADED}
    assert {n for n, s in states.items() if s is State.DOWN} == {"Panel 1"} | feeds
    rule = next(d for d in result.decisions if d.name == "R101 power")
    assert (rule.members, rule.down, rule.required) == (2, 1, 1)
    assert services.offer_impact(result) == 3  # no business service, nobody cut off
