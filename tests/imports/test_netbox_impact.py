"""The imported NetBox demo estate makes sense to the impact engine: what a rack, a PDU or a
cluster failure hits, as the application answers it, is exactly what a networkx traversal of
the imported relations reaches (each relation type crossed the way it spreads failures), and
it holds what the raw NetBox objects say must be hit (the rack's devices, the PDU's powered
devices, the cluster's VMs)."""

from __future__ import annotations

import networkx as nx
import pytest
from sqlalchemy import select

from app.cmdb import analysis
from app.cmdb.graph.vocabulary import Propagation
from app.cmdb.models import CIRelation, RelationTypeRow
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


def failure_graph() -> nx.DiGraph:
    """An edge ``a -> b`` when a failure of ``a`` hits ``b``, read from the stored relations."""
    spreads = {t.name: t.propagation for t in _db.session.scalars(select(RelationTypeRow))}
    graph = nx.DiGraph()
    for source, target, kind in _db.session.execute(
        select(CIRelation.source_id, CIRelation.target_id, CIRelation.type)
    ):
        way = spreads[kind]
        if way in (Propagation.TARGET_TO_SOURCE, Propagation.BOTH):
            graph.add_edge(target, source)
        if way in (Propagation.SOURCE_TO_TARGET, Propagation.BOTH):
            graph.add_edge(source, target)
    return graph


def app_answer(failing: int) -> set[int]:
    return {a.ci_id for a in analysis.what_if([failing]).affected}


def traversal(failing: int) -> set[int]:
    graph = failure_graph()
    return {failing} | (nx.descendants(graph, failing) if failing in graph else set())


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
