"""``flask import itop`` and ``/admin/imports/itop`` over iTop's sample data, on both databases:
every object accounted for, a second run that changes nothing, a changed export that updates,
creates and retires exactly what changed (its dry run first), impact on the imported estate
against a networkx traversal of the sample's own links, and bad uploads refused whole."""

from __future__ import annotations

import gzip
import io
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import func, select

from app.cmdb import cache
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.impact import engine
from app.cmdb.models import CIClass, CIRelation, CMDBRevision, ConfigurationItem
from app.imports.models import ExternalRef, ImportProblem, ImportRun, ProblemKind, RunState
from tests.imports.test_itop_reader import DATA, raw_objects

CI_CLASSES = {
    "Server",
    "NetworkDevice",
    "Rack",
    "VirtualMachine",
    "Hypervisor",
    "Farm",
    "DBServer",
    "DatabaseSchema",
    "WebServer",
    "WebApplication",
    "ApplicationSolution",
    "Service",
}  # fmt: skip  (the CI classes of the sample, as the docs list them)


@pytest.fixture(autouse=True)
def sample_present():
    if not DATA.is_dir():
        pytest.fail(f"the iTop sample data is missing: {DATA}", pytrace=False)


def flask_import(app, path: Path, *flags: str):
    return app.test_cli_runner().invoke(args=["import", "itop", str(path), *flags])


def last_run(db) -> ImportRun:
    return db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def revision(db) -> int:
    return db.session.scalar(select(CMDBRevision.value)) or 0


def itop_ids(db) -> dict[str, int]:
    """Estate key -> CI id, for what the iTop import made."""
    rows = db.session.execute(
        select(ExternalRef.external_id, ExternalRef.object_id).where(
            ExternalRef.system == "itop", ExternalRef.kind == "ci"
        )
    )
    return {external_id: object_id for external_id, object_id in rows}


def distinct_cis() -> set[tuple[str, str]]:
    return {(cls, i) for _, cls, i, _ in raw_objects() if cls in CI_CLASSES}


# --------------------------------------------------------------------------- the command


def test_the_sample_imports_with_every_object_accounted_for(app, db):
    result = flask_import(app, DATA)
    assert result.exit_code == 0, result.output
    run = last_run(db)
    assert run.state is RunState.FINISHED
    objects = raw_objects()
    assert run.counts["rows_read"] == len(objects)
    outcomes = {k: v for k, v in run.counts.items() if k.startswith("objects_")}
    assert sum(outcomes.values()) == len(objects)
    assert run.counts["cis_created"] == len(distinct_cis())
    assert run.counts["cis_skipped"] == 0
    assert run.counts["relations_skipped"] == 0
    assert count(db, ConfigurationItem) == len(distinct_cis())
    persons = sum(1 for _, cls, _, _ in objects if cls == "Person")
    person_lines = count(
        db,
        ImportProblem,
        ImportProblem.run_id == run.id,
        ImportProblem.kind == ProblemKind.NOT_CARRIED,
        ImportProblem.where.like("% Person %"),
    )
    assert person_lines == persons
    farm = db.session.scalar(select(CIClass).where(CIClass.name == "farm"))
    assert farm.parent.name == "cluster"
    hypervisor = db.session.scalar(select(CIClass).where(CIClass.name == "hypervisor"))
    assert hypervisor.parent.name == "server"
    assert "cis created" in result.output


def test_a_second_run_of_the_same_export_changes_nothing(app, db):
    flask_import(app, DATA)
    before = (revision(db), count(db, ConfigurationItem), count(db, CIRelation))
    result = flask_import(app, DATA)
    assert result.exit_code == 0, result.output
    run = last_run(db)
    assert run.counts["cis_unchanged"] == len(distinct_cis())
    assert run.counts["cis_created"] + run.counts["cis_updated"] + run.counts["cis_retired"] == 0
    assert run.counts["relations_created"] + run.counts["relations_removed"] == 0
    assert (revision(db), count(db, ConfigurationItem), count(db, CIRelation)) == before


def changed_export(tmp_path: Path) -> Path:
    """The sample with VM1 renamed, the hypervisor ESX3 gone and a VM5 on Cluster2."""
    copy = tmp_path / "itop"
    shutil.copytree(DATA, copy)
    vms = copy / "itop-virtualization-mgmt/data.sample.vm.xml"
    text = vms.read_text().replace("<name>VM1</name>", "<name>VM1-renamed</name>")
    text = text.replace(
        "</Set>",
        '<VirtualMachine alias="VirtualMachine" id="40"><name>VM5</name><org_id>2</org_id>'
        "<status>production</status><virtualhost_id>8</virtualhost_id></VirtualMachine></Set>",
    )
    vms.write_text(text)
    hypervisors = copy / "itop-virtualization-mgmt/data.sample.hypervisor.xml"
    tree = ET.parse(hypervisors)
    root = tree.getroot()
    root.remove(next(e for e in root if e.get("id") == "11"))
    tree.write(hypervisors, encoding="UTF-8", xml_declaration=True)
    return copy


def test_a_changed_export_is_shown_by_its_dry_run_then_applied_exactly(app, db, tmp_path):
    flask_import(app, DATA)
    changed = changed_export(tmp_path)
    before = (revision(db), count(db, ConfigurationItem), count(db, CIRelation))

    dry = flask_import(app, changed, "--dry-run")
    assert dry.exit_code == 0, dry.output
    run = last_run(db)
    assert run.dry_run
    assert (run.counts["cis_created"], run.counts["cis_updated"], run.counts["cis_retired"]) == (
        1,
        1,
        1,
    )
    lines = db.session.scalars(
        select(ImportProblem.message).where(ImportProblem.run_id == run.id)
    ).all()
    assert "would create 1 CIs: VM5" in lines
    assert "would retire 1 CIs: ESX3" in lines
    assert (revision(db), count(db, ConfigurationItem), count(db, CIRelation)) == before

    done = flask_import(app, changed)
    assert done.exit_code == 0, done.output
    run = last_run(db)
    assert (run.counts["cis_created"], run.counts["cis_updated"], run.counts["cis_retired"]) == (
        1,
        1,
        1,
    )
    ids = itop_ids(db)
    vm1 = db.session.get(ConfigurationItem, ids["VirtualMachine::12"])
    assert vm1.name == "VM1-renamed"
    esx3 = db.session.get(ConfigurationItem, ids["Hypervisor::11"])
    assert esx3.status is Lifecycle.RETIRED
    assert count(db, CIRelation, CIRelation.source_id == esx3.id) == 0
    vm5 = ids["VirtualMachine::40"]
    assert count(db, CIRelation, CIRelation.source_id == vm5, CIRelation.type == "runs_on") == 1


def test_a_file_that_cannot_be_read_fails_the_run_and_imports_nothing(app, db, tmp_path):
    copy = tmp_path / "itop"
    shutil.copytree(DATA, copy)
    broken = copy / "itop-config-mgmt/data.sample.servers.xml"
    broken.write_bytes(broken.read_bytes()[:-40])
    result = flask_import(app, copy)
    assert result.exit_code == 1
    run = last_run(db)
    assert run.state is RunState.FAILED
    assert "data.sample.servers.xml is not well-formed XML" in result.output
    assert count(db, ConfigurationItem) == 0


def test_a_directory_of_csv_exports_imports_like_xml(app, db, tmp_path):
    (tmp_path / "Farm.csv").write_text("id,Name,Redundancy\n5,cluster-a,50%\n")
    (tmp_path / "VirtualMachine.csv").write_text(
        "id;name;virtualhost_id->name;status\n7;vm-a;cluster-a;production\n"
        "8;vm-b;cluster-a;obsolete\n"
    )
    result = flask_import(app, tmp_path)
    assert result.exit_code == 0, result.output
    run = last_run(db)
    assert (run.counts["rows_read"], run.counts["cis_created"]) == (3, 3)
    ids = itop_ids(db)
    farm = db.session.get(ConfigurationItem, ids["Farm::5"])
    assert farm.min_up_percent == 50
    vm_b = db.session.get(ConfigurationItem, ids["VirtualMachine::8"])
    assert vm_b.status is Lifecycle.RETIRED
    runs_on = select(CIRelation).where(CIRelation.target_id == farm.id)
    assert {r.source_id for r in db.session.scalars(runs_on)} == {
        ids["VirtualMachine::7"],
        vm_b.id,
    }


def test_a_directory_without_exports_is_refused(app, db, tmp_path):
    (tmp_path / "notes.txt").write_text("not an export")
    result = flask_import(app, tmp_path)
    assert result.exit_code == 1
    assert "holds no XML or CSV file" in result.output
    assert last_run(db).state is RunState.FAILED


# --------------------------------------------------------------------------- impact


def failure_graph() -> tuple[nx.DiGraph, dict[str, list[str]], dict[str, int]]:
    """The sample's links read straight from the XML, as edges in the direction a failure
    travels (``provider -> consumer``), with the farms' members and their iTop default rule
    (up while one member is up). Ids are resolved in the referring file's folder first."""
    objects = [
        (f, c, i, e) for f, c, i, e in raw_objects() if c in CI_CLASSES or c.startswith("lnk")
    ]
    by_id: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for folder, cls, i, _ in objects:
        if cls in CI_CLASSES and (cls, i) not in {(c, x) for _, c, x in by_id[i]}:
            by_id[i].append((folder, cls, i))

    def key(folder: str, ident: str | None, classes: set[str]) -> str | None:
        found = [(f, c, i) for f, c, i in by_id.get(ident or "", []) if c in classes]
        if len(found) > 1:
            found = [x for x in found if x[0] == folder]
        return f"{found[0][1]}::{found[0][2]}" if len(found) == 1 else None

    graph = nx.DiGraph()
    members: dict[str, list[str]] = defaultdict(list)
    rules: dict[str, int] = {}
    for folder, cls, i, e in objects:
        this = f"{cls}::{i}"
        if cls in CI_CLASSES:
            graph.add_node(this)
        if cls == "Farm":
            rules[this] = 1
        ref = {c.tag: c.text for c in e}
        uses = {
            "virtualhost_id": {"Farm", "Hypervisor"},
            "server_id": {"Server"},
            "system_id": CI_CLASSES,
            "dbserver_id": {"DBServer"},
            "webserver_id": {"WebServer"},
        }
        for column, classes in uses.items():
            provider = key(folder, ref.get(column), classes)
            if provider and cls in CI_CLASSES:
                graph.add_edge(provider, this)
        farm = key(folder, ref.get("farm_id"), {"Farm"})
        if farm and cls == "Hypervisor":
            graph.add_edge(this, farm)
            members[farm].append(this)
        if cls == "lnkApplicationSolutionToFunctionalCI":
            solution = key(folder, ref["applicationsolution_id"], {"ApplicationSolution"})
            part = key(folder, ref["functionalci_id"], CI_CLASSES)
            graph.add_edge(part, solution)
    return graph, members, rules


def expected_states(failing: set[str]) -> dict[str, str]:
    """Down or degraded, as the docs state the rules: a failure passes down every link; a farm
    is down when fewer members than its rule are up, degraded while some member is hit."""
    graph, members, rules = failure_graph()
    state: dict[str, str] = {}
    for ci in nx.topological_sort(graph):
        if ci in failing:
            state[ci] = "down"
            continue
        plain = [state.get(p) for p in graph.predecessors(ci) if p not in members.get(ci, [])]
        hit = [state.get(m) for m in members.get(ci, [])]
        found = {s for s in plain if s}
        if hit and any(hit):
            up = sum(1 for s in hit if s != "down")
            found.add("down" if up < rules[ci] else "degraded")
        if found:
            state[ci] = "down" if "down" in found else "degraded"
    return state


@pytest.mark.parametrize(
    "failing",
    [
        {"Server::2"},  # hosts ESX1: Cluster1 keeps ESX2, degraded
        {"Server::2", "Server::4"},  # both hosts of Cluster1: the farm and its VMs down
        {"Farm::8"},
        {"VirtualMachine::12"},
        {"DBServer::16"},
    ],
)
def test_impact_on_the_imported_estate_follows_the_samples_links(app, db, failing):
    flask_import(app, DATA)
    ids = itop_ids(db)
    keys = {v: k for k, v in ids.items()}
    cmdb = cache.load_graph(db.session)
    result = engine.impact(cmdb.index, [ids[k] for k in sorted(failing)])
    got = {keys[a.ci_id]: a.state.value for a in result.affected}
    assert got == expected_states(failing)


# --------------------------------------------------------------------------- the page


@pytest.fixture
def admin(client, make_user):
    make_user("itopadmin", roles=["admin"])
    client.login("itopadmin")
    return client


def sample_zip(break_it: bool = False) -> bytes:
    """The sample's XML files, compressed (persons left out: their photos would make the test
    client spool the upload to a temporary file it leaves to the garbage collector)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(DATA.rglob("*")):
            if path.is_file() and path.suffix == ".xml":
                archive.writestr(str(path.relative_to(DATA)), path.read_bytes())
    data = buffer.getvalue()
    return data[: len(data) // 2] if break_it else data


def upload(client, name: str, data: bytes):
    answer = client.post(
        "/admin/imports/itop",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return answer


def test_only_administrators_reach_the_page(client, make_user):
    make_user("agent7", roles=["agent"])
    client.login("agent7")
    assert client.get("/admin/imports/itop").status_code == 403


def test_an_upload_is_checked_by_a_dry_run_then_imported(admin, db):
    assert admin.get("/admin/imports/itop").status_code == 200
    checked = upload(admin, "itop-sample.zip", sample_zip())
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert f"would create {len(distinct_cis())} CIs" in page
    assert count(db, ConfigurationItem) == 0
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    done = admin.post(
        "/admin/imports/itop/apply", data={"token": token, "filename": "itop-sample.zip"}
    )
    assert done.status_code == 303
    run = last_run(db)
    assert done.headers["Location"].endswith(f"/admin/imports/runs/{run.id}")
    assert (run.state, run.dry_run) == (RunState.FINISHED, False)
    assert count(db, ConfigurationItem) == len(distinct_cis())
    again = admin.post(
        "/admin/imports/itop/apply", data={"token": token, "filename": "itop-sample.zip"}
    )
    assert again.status_code == 404  # the staged upload is spent


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("itop.zip", None, "not a readable zip archive"),
        ("servers.xml", b"<Set><Server id='1'><name>x</Set>", "not well-formed XML"),
        ("Server.csv", b'id,name\n1,"web\n2,db\n', "not well-formed CSV"),
        ("servers.xml.gz", gzip.compress(b"<Set>", mtime=0)[:-4], "not a readable gzip file"),
    ],
)
def test_a_bad_upload_answers_422_with_the_problem_and_imports_nothing(admin, db, name, data, says):
    answer = upload(admin, name, sample_zip(break_it=True) if data is None else data)
    assert answer.status_code == 422
    assert says in answer.get_data(as_text=True)
    assert count(db, ConfigurationItem) == 0
    assert last_run(db).state is RunState.FAILED
