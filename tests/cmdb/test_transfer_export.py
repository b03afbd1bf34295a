"""CMDB exports on both databases: every field, people and groups by name, typed attributes;
an export imported into an empty CMDB gives back the same CIs, attributes and relations
(exported again, the files are identical), in CSV and in JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from app.auth.models import Group
from app.cmdb import services
from app.cmdb.models import AttributeValue, CIRelation, ConfigurationItem
from app.cmdb.transfer.export import export_all, export_cis, export_relations
from app.cmdb.transfer.imports import import_file
from app.extensions import db as _db


def text(chunks) -> str:
    return "".join(chunks)


def empty_cmdb(db) -> None:
    for model in (CIRelation, AttributeValue, ConfigurationItem):
        db.session.execute(delete(model))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ConfigurationItem)) == 0


def imported(db, data: str, filename: str):
    report = import_file(data.encode(), filename=filename, actor=None, dry_run=False)
    assert report.ok, report.errors[:5]
    db.session.commit()
    return report


@pytest.fixture
def estate(db, make_user, make_ci, relate, ci_class):
    """A small estate with every kind of field and attribute, awkward text, and a name used
    in two classes."""
    owner = make_user("m.okafor", roles=["service_owner"])
    make_user("ann", roles=["employee"])
    group = Group(name="Infrastructure & Ops")
    _db.session.add(group)
    server = ci_class("server")
    for name, kind, choices in (
        ("os", "string", None), ("cpu_count", "integer", None), ("ram_gb", "decimal", None),
        ("virtualised", "boolean", None), ("installed", "date", None),
        ("tier", "choice", ["gold", "silver"]),
    ):  # fmt: skip
        services.add_attribute(
            actor=None, ci_class=server, name=name, label="", type_=kind, choices=choices
        )
    db.session.commit()
    finance = Group(name="Finance", is_assignment_group=False)
    _db.session.add(finance)
    _db.session.flush()
    erp = make_ci("ERP", "business_service", owner_id=owner.id, users_count=320, criticality=1,
                  users_group_id=finance.id,
                  description='Orders, invoicing; "the ledger"\nand more.')  # fmt: skip
    app = make_ci("=erp-app", "application", support_group_id=group.id, environment="production")
    cluster = make_ci("esx-cluster", "cluster", min_up_percent=50, location="Lyon – hall 2")
    values = {"os": "ESXi 8", "cpu_count": "64", "ram_gb": "512.25", "virtualised": "no",
              "installed": "2024-01-31", "tier": "gold"}  # fmt: skip
    hardware = {"asset_tag": "KF-1", "serial_number": "SN1", "model": "DL380",
                "warranty_end": date(2027, 6, 30)}  # fmt: skip
    host = make_ci("esx-01", "server", status="in_maintenance", attributes=values, **hardware)
    vm = make_ci("shared", "virtual_machine", attributes={"cpu_count": "-4", "virtualised": "yes"})
    shared_app = make_ci("shared", "application", min_up=2)
    make_ci("lt-001", "laptop", assigned_user_id=owner.id, model="EliteBook 840")
    for source, type_name, target in (
        (app, "provides", erp), (app, "runs_on", vm), (vm, "runs_on", host),
        (host, "member_of", cluster), (shared_app, "depends_on", vm), (vm, "depends_on", app),
    ):  # fmt: skip
        relate(source, type_name, target)
    return {"cis": 7, "relations": 6}


def test_csv_export_has_every_field_by_name_and_attributes_as_columns(db, estate):
    rows = {
        (r["name"], r["class"]): r for r in csv.DictReader(io.StringIO(text(export_cis("csv"))))
    }
    assert len(rows) == estate["cis"]
    host = rows[("esx-01", "server")]
    assert {k: v for k, v in host.items() if v} == {
        "name": "esx-01", "class": "server", "status": "in_maintenance", "asset_tag": "KF-1",
        "serial_number": "SN1", "model": "DL380", "warranty_end": "2027-06-30",
        "users_count": "0", "attr:os": "ESXi 8", "attr:cpu_count": "64", "attr:ram_gb": "512.25",
        "attr:virtualised": "no", "attr:installed": "2024-01-31", "attr:tier": "gold",
    }  # fmt: skip
    assert rows[("ERP", "business_service")]["owner"] == "m.okafor"
    assert rows[("ERP", "business_service")]["users_group"] == "Finance"
    assert rows[("esx-cluster", "cluster")]["users_group"] == ""
    assert rows[("'=erp-app", "application")]["support_group"] == "Infrastructure & Ops"
    assert rows[("lt-001", "laptop")]["assigned_user"] == "m.okafor"
    relations = list(csv.DictReader(io.StringIO(text(export_relations("csv")))))
    assert len(relations) == estate["relations"]
    assert {"source": "shared", "source_class": "application", "type": "depends_on",
            "target": "shared", "target_class": "virtual_machine"} in relations  # fmt: skip


def test_a_csv_export_imported_into_an_empty_cmdb_gives_the_same_cmdb(db, estate):
    cis, relations = text(export_cis("csv")), text(export_relations("csv"))
    empty_cmdb(db)
    assert imported(db, cis, "cis.csv").created == estate["cis"]
    assert imported(db, relations, "relations.csv").relations_added == estate["relations"]
    assert text(export_cis("csv")) == cis
    assert text(export_relations("csv")) == relations


def test_a_json_export_of_everything_round_trips_in_one_file(db, estate):
    everything = export_all()
    data = json.loads(everything)
    host = next(c for c in data["cis"] if c["name"] == "esx-01")
    assert host["attributes"] == {
        "cpu_count": 64, "installed": "2024-01-31", "os": "ESXi 8", "ram_gb": "512.25",
        "tier": "gold", "virtualised": False,
    }  # fmt: skip
    assert "owner" not in host  # empty fields are left out
    assert host["users_count"] == 0
    empty_cmdb(db)
    report = imported(db, everything, "cmdb.json")
    assert (report.created, report.relations_added) == (estate["cis"], estate["relations"])
    assert export_all() == everything
    again = imported(db, everything, "cmdb.json")
    assert (again.unchanged, again.relations_present, again.created) == (
        estate["cis"],
        estate["relations"],
        0,
    )
