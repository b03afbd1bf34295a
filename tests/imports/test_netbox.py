"""``flask import netbox`` and ``/admin/imports/netbox`` on both databases: the demo dump with
every object accounted for, a second run that changes nothing, a changed file whose dry run
lists exactly what the import then changes, REST exports, and bad input that fails cleanly."""

from __future__ import annotations

import copy
import gzip
import json
import re

import pytest
from sqlalchemy import func, select

from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import CIClass, CIRelation, CMDBRevision, ConfigurationItem
from app.i18n.stored import english
from app.imports.models import ExternalRef, ImportProblem, ImportRun, RunState
from tests.imports.test_netbox_reader import API, api_files, demo_path, raw_demo

OUTCOMES = (
    "rows_as_ci", "rows_as_relation", "rows_as_value", "rows_not_carried", "rows_summarised",
    "rows_skipped",
)  # fmt: skip


@pytest.fixture
def admin(client, make_user):
    make_user("nbadmin", roles=["admin"])
    client.login("nbadmin")
    return client


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["import", "netbox", *map(str, args)])


def last_run(db) -> ImportRun:
    return db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def lines_of(db, run, kind=None) -> list[str]:
    query = select(ImportProblem.message).where(ImportProblem.run_id == run.id)
    if kind:
        query = query.where(ImportProblem.kind == kind)
    return list(db.session.scalars(query.order_by(ImportProblem.id)))


def ci_named(db, name) -> ConfigurationItem | None:
    return db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == name))


def test_the_demo_dump_imports_with_every_object_accounted_for(app, db):
    result = run_cli(app, demo_path())
    assert result.exit_code == 0, result.output
    run = last_run(db)
    assert run.state is RunState.FINISHED
    counts = run.counts
    assert counts["rows_read"] == len(raw_demo())
    assert counts["rows_read"] == sum(counts[k] for k in OUTCOMES)
    groups = count(
        db, ExternalRef, ExternalRef.kind == "ci", ExternalRef.external_id.like("group:%")
    )
    assert groups == 39  # racks fed twice, routers with two circuits, switches' patch panels
    assert counts["cis_created"] == counts["rows_as_ci"] + groups
    assert count(db, ConfigurationItem) == counts["cis_created"]
    assert counts["cis_skipped"] == 0
    assert counts["relations_skipped"] == 0
    not_carried = count(
        db, ImportProblem, ImportProblem.run_id == run.id, ImportProblem.kind == "not_carried"
    )
    assert not_carried == counts["problems_not_carried"]
    devices = sum(1 for o in raw_demo() if o["model"] == "dcim.device")
    device_refs = count(
        db, ExternalRef, ExternalRef.kind == "ci", ExternalRef.external_id.like("dcim.device:%")
    )
    assert device_refs == devices
    router = db.session.scalar(select(CIClass).where(CIClass.name == "router"))
    assert router.parent.name == "network_device"
    assert "rows read: 6915" in result.output


def changed_objects(objects: list[dict]) -> list[dict]:
    """NetBox's demo objects with a device renamed, a cable removed and a new VM (the
    benchmark syncs the same change)."""
    objects = copy.deepcopy(objects)
    for o in objects:
        if o["model"] == "dcim.device" and o["pk"] == 1:
            o["fields"]["name"] = "dmi01-akron-edge01"
    objects = [
        o
        for o in objects
        if not (o["model"] == "dcim.cable" and o["pk"] == 7)
        and not (o["model"] == "dcim.cabletermination" and o["fields"]["cable"] == 7)
    ]
    objects.append(
        {
            "model": "virtualization.virtualmachine",
            "pk": 9001,
            "fields": {"name": "vm-new", "status": "active", "cluster": 9, "site": None},
        }
    )
    return objects


def changed_dump(tmp_path):
    path = tmp_path / "netbox-changed.json.gz"
    path.write_bytes(gzip.compress(json.dumps(changed_objects(raw_demo())).encode()))
    return path


def circuit_of_cable_7() -> str:
    objects = raw_demo()
    term = next(
        o["fields"]["termination_id"]
        for o in objects
        if o["model"] == "dcim.cabletermination"
        and o["fields"]["cable"] == 7
        and o["fields"]["termination_type"] == ["circuits", "circuittermination"]
    )
    by = {(o["model"], o.get("pk")): o["fields"] for o in objects}
    circuit = by[("circuits.circuittermination", term)]["circuit"]
    fields = by[("circuits.circuit", circuit)]
    return f"{by[('circuits.provider', fields['provider'])]['name']} {fields['cid']}"


def revision(db) -> int:
    return db.session.scalar(select(CMDBRevision.value)) or 0


def test_a_second_run_changes_nothing_and_a_changed_file_syncs_exactly_that(app, db, tmp_path):
    assert run_cli(app, demo_path()).exit_code == 0
    before = revision(db)
    assert run_cli(app, demo_path()).exit_code == 0
    again = last_run(db).counts
    assert again["cis_unchanged"] == again["rows_as_ci"] + 39  # the redundancy groups
    assert again["relations_created"] + again["relations_removed"] == 0
    assert revision(db) == before

    changed = changed_dump(tmp_path)
    cis, relations = count(db, ConfigurationItem), count(db, CIRelation)
    assert run_cli(app, changed, "--dry-run").exit_code == 0
    dry = last_run(db)
    # The router keeps one circuit of two: its uplinks group goes (retired), it needs the
    # circuit left directly, and the two circuits' memberships go with the group.
    expected = {"cis_created": 1, "cis_updated": 1, "cis_retired": 1}
    assert {k: dry.counts[k] for k in expected} == expected
    moved = ("relations_created", "relations_updated", "relations_removed")
    assert tuple(dry.counts[k] for k in moved) == (1, 1, 2)
    diff = lines_of(db, dry, "notice")
    assert "update dmi01-akron-edge01: name dmi01-akron-rtr01 → dmi01-akron-edge01" in diff
    assert "create virtual_machine vm-new" in diff
    assert "retire dmi01-akron-rtr01 uplinks" in diff
    assert f"remove {circuit_of_cable_7()} member of dmi01-akron-rtr01 uplinks" in diff
    assert "remove dmi01-akron-rtr01 connected to dmi01-akron-rtr01 uplinks" in diff
    assert (count(db, ConfigurationItem), count(db, CIRelation), revision(db)) == (
        cis, relations, before,
    )  # fmt: skip

    assert run_cli(app, changed).exit_code == 0
    done = last_run(db).counts
    assert {k: done[k] for k in expected} == expected
    assert tuple(done[k] for k in moved) == (1, 1, 2)
    assert ci_named(db, "dmi01-akron-rtr01") is None
    edge = ci_named(db, "dmi01-akron-edge01")
    assert edge.status is Lifecycle.IN_SERVICE
    assert ci_named(db, "vm-new") is not None
    assert count(db, ConfigurationItem) == cis + 1
    # A cable and the group's need out, one VM's host in; the cable left now ties the router
    # to its circuit directly.
    assert count(db, CIRelation) == relations - 1


def test_an_unreadable_file_fails_the_run_and_writes_nothing(app, db, tmp_path):
    broken = tmp_path / "netbox.json.gz"
    broken.write_bytes(demo_path().read_bytes()[:5000])
    result = run_cli(app, broken)
    assert result.exit_code == 1
    run = last_run(db)
    assert run.state is RunState.FAILED
    assert "not a complete gzip file" in run.error
    assert count(db, ConfigurationItem) == 0


def test_a_folder_of_rest_api_answers_imports(app, db):
    result = run_cli(app, API)
    assert result.exit_code == 0, result.output
    run = last_run(db)
    assert english(run.summary["source"]) == "NetBox REST API answers"
    assert run.counts["cis_created"] == 9
    assert run.counts["rows_read"] == sum(run.counts[k] for k in OUTCOMES)
    switch, router = ci_named(db, "dmi01-akron-sw01"), ci_named(db, "dmi01-akron-rtr01")
    link = select(func.count()).where(
        CIRelation.source_id == switch.id,
        CIRelation.target_id == router.id,
        CIRelation.type == "connected_to",
    )
    assert db.session.scalar(link) == 1  # two parallel cables, one CMDB relation
    assert (
        count(db, ExternalRef, ExternalRef.external_id.in_(["dcim.cable:35", "dcim.cable:36"])) == 2
    )


def api_upload() -> bytes:
    return json.dumps(
        {
            name.removesuffix(".json").replace("_", "/"): json.loads(data)
            for name, data in api_files()
        }
    ).encode()


def test_the_page_dry_runs_an_upload_then_imports_it(admin, db):
    page = admin.get("/admin/imports/netbox")
    assert page.status_code == 200
    assert "NetBox" in admin.get("/admin/imports/").get_data(as_text=True)
    from io import BytesIO

    answer = admin.post(
        "/admin/imports/netbox",
        data={"file": (BytesIO(api_upload()), "netbox-api.json")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Dry run: what the import would do" in html
    assert "would create 9 CIs" in html
    assert count(db, ConfigurationItem) == 0
    hidden = dict(re.findall(r'name="(token|filename)" type="hidden" value="([^"]*)"', html))
    assert set(hidden) == {"token", "filename"}
    done = admin.post("/admin/imports/netbox/apply", data=hidden)
    assert done.status_code == 303
    run = last_run(db)
    assert done.headers["Location"].endswith(f"/admin/imports/runs/{run.id}")
    assert run.counts["cis_created"] == 9
    assert count(db, ConfigurationItem) == 9
    again = admin.post("/admin/imports/netbox/apply", data=hidden)
    assert again.status_code == 404  # the staged file went with the import


def test_a_bad_upload_answers_422_with_the_reason(admin, db):
    from io import BytesIO

    answer = admin.post(
        "/admin/imports/netbox",
        data={"file": (BytesIO(b'{"dcim/devices": {"results": 7}}'), "bad.json")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert "neither a NetBox dump" in answer.get_data(as_text=True)
    assert last_run(db).state is RunState.FAILED
    empty = admin.post("/admin/imports/netbox", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422
    assert "Choose a NetBox dump" in empty.get_data(as_text=True)
    assert count(db, ConfigurationItem) == 0


def test_only_administrators_import_from_netbox(client, make_user, db):
    make_user("nbagent", roles=["agent"])
    client.login("nbagent")
    assert client.get("/admin/imports/netbox").status_code == 403
    assert client.post("/admin/imports/netbox/apply", data={}).status_code == 403
