"""The shared estate sync: a first run creates the classes, CIs and relations an estate needs; a
second run of the same estate changes nothing; a changed estate updates, creates and retires
exactly what changed, and its dry run says so first while writing nothing but the report."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import CIClass, CIRelation, CMDBRevision, ConfigurationItem
from app.imports import runs
from app.imports.estates import sync
from app.imports.estates.model import Estate, EstateCI, EstateClass, EstateRelation, Note
from app.imports.models import ExternalRef, ImportProblem


def estate(**changes) -> Estate:
    cis = [
        EstateCI("site:1", "DM-Akron", "site", {"description": "Akron office"}),
        EstateCI("rack:1", "Comms closet", "rack", {"location": "DM-Akron"}),
        EstateCI("device:1", "akron-rtr01", "router", {"serial_number": "SN1", "model": "ISR"}),
        EstateCI("device:2", "akron-sw01", "switch", {"model": "EX2300"}),
    ]
    relations = [
        EstateRelation("rack:1/site", "rack:1", "depends_on", "site:1"),
        EstateRelation("device:1/rack", "device:1", "depends_on", "rack:1"),
        EstateRelation("device:2/rack", "device:2", "depends_on", "rack:1"),
        EstateRelation("cable:7", "device:2", "connected_to", "device:1"),
        EstateRelation("cable:8", "device:2", "connected_to", "device:1"),  # parallel cable
    ]
    classes = [
        EstateClass("router", "Router", "network_device", is_hardware=True),
        EstateClass("switch", "Switch", "network_device", is_hardware=True),
        EstateClass("site", "Site"),
        EstateClass("rack", "Rack", is_hardware=True),
    ]
    notes = [Note("not_carried", "dcim.interface 3", "", "Interfaces are not CIs.")]
    found = Estate("testbox", classes, cis, relations, notes, rows_read=10)
    for key, value in changes.items():
        setattr(found, key, value)
    return found


def apply(db, found: Estate, *, dry_run: bool = False) -> tuple[sync.SyncResult, object]:
    run = runs.start("testbox", "estate.json", dry_run=dry_run)
    result = sync.apply(found, run=run, dry_run=dry_run)
    db.session.commit()
    return result, run


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def named(db, name: str) -> ConfigurationItem:
    return db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == name))


def revision(db) -> int:
    return db.session.scalar(select(CMDBRevision.value)) or 0


def test_a_first_run_creates_classes_cis_and_relations_with_their_external_ids(db):
    result, run = apply(db, estate())
    assert result.failed is None
    assert sorted(result.classes_created) == ["rack", "router", "site", "switch"]
    router = db.session.scalar(select(CIClass).where(CIClass.name == "router"))
    assert router.parent.name == "network_device"
    assert router.is_hardware
    assert (result.cis_created, result.relations_created) == (4, 5)
    assert named(db, "akron-rtr01").serial_number == "SN1"
    # Two parallel cables: two keys, one CMDB relation between the same two devices.
    assert count(db, CIRelation) == 4
    assert count(db, ExternalRef, ExternalRef.kind == "relation") == 5
    assert run.counts["cis_created"] == 4
    assert run.counts["problems_not_carried"] == 1


def test_the_same_estate_again_changes_nothing(db):
    apply(db, estate())
    before = revision(db)
    result, _ = apply(db, estate())
    assert not result.changed
    assert (result.cis_unchanged, result.relations_unchanged) == (4, 5)
    assert revision(db) == before


def changed_estate() -> Estate:
    first = estate()
    cis = [replace(ci, name="akron-core-rtr01") if ci.key == "device:1" else ci for ci in first.cis]
    cis = [ci for ci in cis if ci.key != "device:2"]
    cis.append(EstateCI("device:3", "akron-sw02", "switch", {"model": "EX2300"}))
    relations = [
        r for r in first.relations if r.key not in ("cable:8", "device:2/rack", "cable:7")
    ] + [
        EstateRelation("device:3/rack", "device:3", "depends_on", "rack:1"),
        EstateRelation("cable:9", "device:3", "connected_to", "device:1"),
    ]
    return estate(cis=cis, relations=relations)


def test_a_dry_run_of_a_changed_estate_lists_the_diff_and_writes_nothing(db):
    apply(db, estate())
    before = (revision(db), count(db, ConfigurationItem), count(db, CIRelation))
    result, run = apply(db, changed_estate(), dry_run=True)
    assert (result.cis_created, result.cis_updated, result.cis_retired) == (1, 1, 1)
    assert (result.relations_created, result.relations_removed) == (2, 3)
    assert (revision(db), count(db, ConfigurationItem), count(db, CIRelation)) == before
    assert named(db, "akron-rtr01") is not None
    lines = list(
        db.session.scalars(select(ImportProblem.message).where(ImportProblem.run_id == run.id))
    )
    assert "would create 1 CIs: akron-sw02" in lines
    assert "update akron-core-rtr01: name akron-rtr01 → akron-core-rtr01" in lines
    assert "retire akron-sw01" in lines
    assert "remove akron-sw01 connected to akron-rtr01" in lines


def test_a_changed_estate_updates_creates_and_retires_exactly_those(db):
    apply(db, estate())
    result, _ = apply(db, changed_estate())
    assert (result.cis_created, result.cis_updated, result.cis_retired) == (1, 1, 1)
    assert result.cis_unchanged == 2
    assert named(db, "akron-core-rtr01") is not None
    assert named(db, "akron-rtr01") is None
    gone = named(db, "akron-sw01")
    assert gone.status is Lifecycle.RETIRED  # retired, never deleted
    assert count(db, CIRelation, CIRelation.source_id == gone.id) == 0
    new = named(db, "akron-sw02")
    assert count(db, CIRelation, CIRelation.source_id == new.id) == 2
    again, _ = apply(db, changed_estate())
    assert not again.changed


def test_one_of_two_parallel_cables_removed_keeps_the_relation(db):
    apply(db, estate())
    found = estate()
    found.relations = [r for r in found.relations if r.key != "cable:8"]
    result, _ = apply(db, found)
    assert result.relations_removed == 1
    switch, router = named(db, "akron-sw01"), named(db, "akron-rtr01")
    assert (
        count(db, CIRelation, CIRelation.source_id == switch.id, CIRelation.target_id == router.id)
        == 1
    )


def test_a_retired_ci_back_in_the_source_is_in_service_again(db):
    apply(db, estate())
    found = estate()
    found.cis = [ci for ci in found.cis if ci.key != "device:2"]
    found.relations = [r for r in found.relations if "device:2" not in (r.source, r.target)]
    apply(db, found)
    assert named(db, "akron-sw01").status is Lifecycle.RETIRED
    result, _ = apply(db, estate())
    assert result.cis_updated == 1
    assert named(db, "akron-sw01").status is Lifecycle.IN_SERVICE


def test_a_clash_with_a_hand_made_ci_of_the_same_class_is_one_report_line(db, make_ci):
    first = estate()
    first.classes = [EstateClass("router", "Router", "network_device", is_hardware=True)]
    first.cis = [EstateCI("device:1", "akron-rtr01", "network_device")]
    first.relations = []
    make_ci("AKRON-RTR01", "network_device")
    result, run = apply(db, first)
    assert result.cis_skipped == 1
    assert result.cis_created == 0
    line = db.session.scalar(
        select(ImportProblem.message).where(
            ImportProblem.run_id == run.id, ImportProblem.kind == "skipped"
        )
    )
    assert "already exists here, not imported from this system" in line
    assert count(db, ConfigurationItem) == 1


def test_bad_fields_unknown_types_and_missing_ends_are_refused_per_row(db):
    found = estate()
    found.cis = [
        *found.cis,
        EstateCI("site:2", "Elsewhere", "site", {"serial_number": "not hardware"}),
        EstateCI("thing:1", "Thing", "no_such_parent_class_child"),
    ]
    found.classes = [*found.classes, EstateClass("orphan", "Orphan", "no_such_class")]
    found.relations = [
        *found.relations,
        EstateRelation("odd:1", "device:1", "powers", "device:2"),
        EstateRelation("odd:2", "device:1", "depends_on", "site:2"),
    ]
    result, run = apply(db, found)
    assert result.failed is None
    assert (result.cis_created, result.cis_skipped) == (4, 2)
    assert (result.relations_created, result.relations_skipped) == (5, 2)
    messages = list(
        db.session.scalars(
            select(ImportProblem.message).where(
                ImportProblem.run_id == run.id, ImportProblem.kind == "skipped"
            )
        )
    )
    assert any("Unknown relation type “powers”" in m for m in messages)
    assert any("Elsewhere: A site has no hardware asset fields." in m for m in messages)
