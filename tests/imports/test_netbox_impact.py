"""The imported NetBox demo estate makes sense to the impact engine: what a rack, a PDU or a
cluster failure hits, as the application answers it, is exactly what a networkx traversal of
the imported relations reaches (each relation type crossed the way it spreads failures, a
redundancy group down only when too few of its members are up), and it holds what the raw
NetBox objects say must be hit (the rack's devices, the PDU's powered devices, the cluster's
VMs). Redundant links stay redundant: a router that loses one of its two circuits, or a
rack one of its two power feeds, is not down; losing both takes it down."""

from __future__ import annotations

import networkx as nx
import pytest
from sqlalchemy import select

from app.cmdb import analysis
from app.cmdb.graph.vocabulary import Lifecycle, Propagation
from app.cmdb.impact.reference import State
from app.cmdb.models import CIRelation, ConfigurationItem, RelationTypeRow
from app.extensions import db as _db
from app.imports import refs
from app.imports.netbox.importer import import_netbox
from tests.imports.test_netbox_reader import demo_path, raw_demo


@pytest.fixture
def estate(db):
    path = demo_path()
    run = import_netbox(path.name, [(path.name, path.read_bytes())], dry_run=False)
    db.session.commit()
    assert run.counts["cis_skipped"] == 0
    return run


def ci_id(key: str) -> int:
    return refs.known("netbox", "ci", [key])[key].object_id


def failure_graph() -> tuple[nx.DiGraph, dict[int, tuple[int, set[int]]]]:
    """An edge ``a -> b`` when a failure of ``a`` reaches ``b``, read from the stored
    relations, ``member`` true on a membership of a group with an "at least N up" rule; and
    those groups, as ``{group: (N, members in service)}``."""
    spreads = {t.name: t.propagation for t in _db.session.scalars(select(RelationTypeRow))}
    rules = select(ConfigurationItem.id, ConfigurationItem.min_up).where(
        ConfigurationItem.min_up.is_not(None)
    )
    groups: dict[int, tuple[int, set[int]]] = {
        g: (n, set()) for g, n in _db.session.execute(rules).all()
    }
    serving = set(
        _db.session.scalars(
            select(ConfigurationItem.id).where(ConfigurationItem.status == Lifecycle.IN_SERVICE)
        )
    )
    graph = nx.DiGraph()
    for source, target, kind in _db.session.execute(
        select(CIRelation.source_id, CIRelation.target_id, CIRelation.type)
    ):
        member = kind == "member_of" and target in groups
        if member and source in serving:
            groups[target][1].add(source)
        way = spreads[kind]
        if way in (Propagation.TARGET_TO_SOURCE, Propagation.BOTH):
            graph.add_edge(target, source, member=False)
        if way in (Propagation.SOURCE_TO_TARGET, Propagation.BOTH):
            graph.add_edge(source, target, member=member)
    return graph, groups


def app_answer(*failing: int, state: State | None = None) -> set[int]:
    """The CIs the application says the failure reaches (only those in ``state`` if given)."""
    return {
        a.ci_id
        for a in analysis.what_if(list(failing)).affected
        if state is None or a.state is state
    }


def traversal(*failing: int) -> set[int]:
    """Every CI the failure reaches, down or degraded."""
    graph, _groups = failure_graph()
    return set(failing).union(*(nx.descendants(graph, f) for f in failing if f in graph))


def down_by_traversal(*failing: int) -> set[int]:
    """The CIs the failure takes down: reached over plain links from a down CI, or a group
    left with fewer members up than its rule needs."""
    graph, groups = failure_graph()
    plain = nx.subgraph_view(graph, filter_edge=lambda a, b: not graph.edges[a, b]["member"])
    down = set(failing)
    while True:
        down = down.union(*(nx.descendants(plain, ci) for ci in down if ci in plain))
        fallen = {g for g, (n, members) in groups.items() if len(members - down) < n} - down
        if not fallen:
            return down
        down |= fallen


def objects(model: str) -> dict[int, dict]:
    return {o["pk"]: o["fields"] for o in raw_demo() if o["model"] == model}


def test_a_rack_failure_hits_its_devices_and_what_needs_them(estate):
    rack = 1
    failing = ci_id(f"dcim.rack:{rack}")
    hit = app_answer(failing)
    assert hit == traversal(failing)
    in_rack = {
        ci_id(f"dcim.device:{pk}") for pk, d in objects("dcim.device").items() if d["rack"] == rack
    }
    assert in_rack
    assert in_rack <= hit


def test_a_pdu_failure_hits_the_devices_it_powers(estate):
    devices = objects("dcim.device")
    roles = {pk: r["slug"] for pk, r in objects("dcim.devicerole").items()}
    pdu = min(pk for pk, d in devices.items() if roles[d["role"]] == "pdu")
    ends: dict[int, dict[str, int]] = {}
    for t in objects("dcim.cabletermination").values():
        ends.setdefault(t["cable"], {})[t["termination_type"][1]] = t["_device"]
    powered = {
        e["powerport"] for e in ends.values() if e.get("poweroutlet") == pdu and "powerport" in e
    }
    assert powered
    failing = ci_id(f"dcim.device:{pdu}")
    hit = app_answer(failing)
    assert hit == traversal(failing)
    assert {ci_id(f"dcim.device:{pk}") for pk in powered} <= hit


def test_a_cluster_failure_hits_exactly_its_vms(estate):
    vms = objects("virtualization.virtualmachine")
    cluster = 9
    failing = ci_id(f"virtualization.cluster:{cluster}")
    hit = app_answer(failing)
    assert hit == traversal(failing)
    expected = {
        ci_id(f"virtualization.virtualmachine:{pk}")
        for pk, v in vms.items()
        if v["cluster"] == cluster
    }
    assert hit == {failing} | expected


def device_pk(name: str) -> int:
    return next(pk for pk, d in objects("dcim.device").items() if d["name"] == name)


def circuits_of(router: str) -> list[int]:
    """The circuits cabled to a device, by their CI ids."""
    ends: dict[int, dict[str, object]] = {}
    for t in objects("dcim.cabletermination").values():
        kind = t["termination_type"][1]
        ends.setdefault(t["cable"], {})[kind] = t["_device"] or t["termination_id"]
    router_pk = device_pk(router)
    terminations = objects("circuits.circuittermination")
    return sorted(
        ci_id(f"circuits.circuit:{terminations[e['circuittermination']]['circuit']}")
        for e in ends.values()
        if e.get("interface") == router_pk and "circuittermination" in e
    )


def test_a_router_losing_one_of_its_two_circuits_stays_up(estate):
    router = ci_id(f"dcim.device:{device_pk('dmi01-akron-rtr01')}")
    switch = ci_id(f"dcim.device:{device_pk('dmi01-akron-sw01')}")
    first, second = circuits_of("dmi01-akron-rtr01")
    assert router not in app_answer(first, state=State.DOWN)
    assert router in app_answer(first, state=State.DEGRADED)
    assert app_answer(first) == traversal(first)
    assert app_answer(first, state=State.DOWN) == down_by_traversal(first) == {first}
    both = app_answer(first, second, state=State.DOWN)
    assert {router, switch} <= both  # what needs the router goes down with it
    assert both == down_by_traversal(first, second)


def test_a_rack_losing_one_of_its_two_power_feeds_stays_up(estate):
    by_rack: dict[int, list[int]] = {}
    for pk, f in objects("dcim.powerfeed").items():
        if f["rack"] is not None:
            by_rack.setdefault(f["rack"], []).append(pk)
    rack, (a, b) = next((r, sorted(pks)) for r, pks in sorted(by_rack.items()) if len(pks) == 2)
    rack_ci = ci_id(f"dcim.rack:{rack}")
    feed_a, feed_b = ci_id(f"dcim.powerfeed:{a}"), ci_id(f"dcim.powerfeed:{b}")
    for feed in (feed_a, feed_b):
        assert rack_ci not in app_answer(feed, state=State.DOWN)
        assert app_answer(feed, state=State.DOWN) == down_by_traversal(feed)
    both = app_answer(feed_a, feed_b, state=State.DOWN)
    in_rack = {
        ci_id(f"dcim.device:{pk}") for pk, d in objects("dcim.device").items() if d["rack"] == rack
    }
    assert {rack_ci} | in_rack <= both
    assert both == down_by_traversal(feed_a, feed_b)
