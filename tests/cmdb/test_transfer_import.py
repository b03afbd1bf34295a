"""CMDB imports on both databases: a real estate (NetBox's demo data) in CSV, dry runs that
write nothing, every bad row reported with its line and column, all or nothing, updates in the
CIs' history, one CMDB revision per import."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.cmdb import services
from app.cmdb.models import AttributeValue, CIRelation, CMDBRevision, ConfigurationItem
from app.cmdb.transfer import write as transfer_write
from app.cmdb.transfer.format import write_csv
from app.cmdb.transfer.imports import import_file
from app.errors import Conflict
from app.i18n.stored import english

NETBOX = (
    Path(__file__).resolve().parents[3]
    / "shared/data/cmdb/netbox-demo-data/netbox-demo-v3.6.json.gz"
)
NETWORK_ROLES = {"Router", "Core Switch", "Distribution Switch", "Access Switch", "ToR Switch"}


def netbox_estate() -> tuple[bytes, bytes]:
    """CIs and relations CSV files built from NetBox's demo data: routers and switches
    (network devices with serial, asset tag, model and site/rack), servers, virtualization
    clusters and their 180 VMs (runs on their cluster), and the cables between devices
    (connected to)."""
    if not NETBOX.exists():  # pragma: no cover - the shared data is part of the workspace
        pytest.skip(f"{NETBOX} is missing")
    by: dict[str, dict[int, dict]] = defaultdict(dict)
    with gzip.open(NETBOX) as dump:
        items = json.load(dump)
    for item in items:
        if "pk" in item:
            by[item["model"]][item["pk"]] = item["fields"]
    sites, racks = by["dcim.site"], by["dcim.rack"]
    roles = {k: v["name"] for k, v in by["dcim.devicerole"].items()}
    types = by["dcim.devicetype"]
    cis, relations, devices = [], [], {}
    for pk, device in sorted(by["dcim.device"].items()):
        role = roles[device["role"]]
        if not device["name"] or (role not in NETWORK_ROLES and "Server" not in role):
            continue  # unnamed devices, patch panels and PDUs
        devices[pk] = device["name"]
        rack = racks.get(device["rack"], {}).get("name")
        cis.append(
            {
                "name": device["name"],
                "class": "network_device" if role in NETWORK_ROLES else "server",
                "status": "in_service" if device["status"] == "active" else "planned",
                "location": " / ".join(filter(None, [sites[device["site"]]["name"], rack])),
                "serial_number": device["serial"] or None,
                "asset_tag": device["asset_tag"],
                "model": types[device["device_type"]]["model"],
                "attr:role": role,
            }
        )
    clusters = {}
    for pk, cluster in sorted(by["virtualization.cluster"].items()):
        clusters[pk] = cluster["name"]
        site = sites.get(cluster["site"], {}).get("name")
        cis.append({"name": cluster["name"], "class": "cluster", "location": site, "min_up": 1})
    for vm in sorted(by["virtualization.virtualmachine"].values(), key=lambda v: v["name"]):
        cis.append({"name": vm["name"], "class": "virtual_machine", "environment": "production"})
        relations.append(
            {"source": vm["name"], "type": "runs_on", "target": clusters[vm["cluster"]]}
        )
    ends = defaultdict(dict)
    for termination in by["dcim.cabletermination"].values():
        if termination["_device"] in devices:
            ends[termination["cable"]][termination["cable_end"]] = devices[termination["_device"]]
    linked = set()  # several cables between two devices are one relation
    for cable in sorted(ends):
        pair = ends[cable]
        if (
            {"A", "B"} <= set(pair)
            and pair["A"] != pair["B"]
            and (pair["A"], pair["B"]) not in linked
        ):
            linked.add((pair["A"], pair["B"]))
            relations.append({"source": pair["A"], "type": "connected_to", "target": pair["B"]})
    ci_columns = [
        "name", "class", "status", "environment", "location", "serial_number", "asset_tag",
        "model", "min_up", "attr:role",
    ]  # fmt: skip
    ci_file = "".join(write_csv(ci_columns, cis)).encode()
    relation_file = "".join(write_csv(["source", "type", "target"], relations)).encode()
    return ci_file, relation_file


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def revision(db) -> int:
    return db.session.scalar(select(CMDBRevision.value))


@pytest.fixture
def role_attribute(db, ci_class):
    for name in ("server", "network_device"):
        services.add_attribute(
            actor=None, ci_class=ci_class(name), name="role", label="Role", type_="string"
        )
    db.session.commit()


def test_a_netbox_estate_imports_after_a_dry_run_that_writes_nothing(db, role_attribute):
    ci_file, relation_file = netbox_estate()
    before = (revision(db), count(db, AuditEvent))
    dry = import_file(ci_file, filename="netbox-cis.csv", actor=None, dry_run=True)
    assert dry.ok, dry.errors[:5]
    assert (dry.cis_new, dry.cis_changed, dry.written) == (243, 0, False)
    assert "243 CIs to create" in dry.summary()
    assert (count(db, ConfigurationItem), revision(db), count(db, AuditEvent)) == (
        0,
        *before[:1],
        before[1],
    )

    report = import_file(ci_file, filename="netbox-cis.csv", actor=None, dry_run=False)
    db.session.commit()
    assert (report.created, report.written) == (243, True)
    assert revision(db) == before[0] + 1  # one revision for the whole import
    relations = import_file(
        relation_file, filename="netbox-relations.csv", actor=None, dry_run=False
    )
    db.session.commit()
    assert relations.ok, relations.errors[:5]
    assert relations.relations_added == count(db, CIRelation) > 180
    assert revision(db) == before[0] + 2

    router = db.session.scalar(
        select(ConfigurationItem).where(ConfigurationItem.name == "dmi01-akron-rtr01")
    )
    assert router.ci_class.name == "network_device"
    assert router.location == "DM-Akron / Comms closet"
    assert router.model == "ISR 1111-8P"
    assert count(db, AttributeValue) == 31  # the role of each of the 31 devices
    created = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_id == router.id, AuditEvent.action == "created")
    )
    assert english(created.changes["reason"]) == "import of netbox-cis.csv"
    assert created.changes["location"] == [None, "DM-Akron / Comms closet"]
    connected = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_id == router.id, AuditEvent.action == "relation_added"
        )
    )
    assert english(connected.changes["reason"]) == "import of netbox-relations.csv"


def test_every_bad_row_is_reported_with_its_line_and_column_and_nothing_is_written(
    db, make_ci, make_user, ci_class
):
    services.add_attribute(
        actor=None, ci_class=ci_class("server"), name="cpu_count", label="CPUs", type_="integer"
    )
    db.session.commit()
    make_user("ann", roles=["agent"])
    make_ci("esx-01", "server")
    before = (count(db, ConfigurationItem), count(db, AuditEvent), revision(db))
    data = (
        b"name,class,status,environment,criticality,owner,support_group,asset_tag,"
        b"warranty_end,attr:cpu_count\n"
        b"esx-02,server,in_service,production,2,ann,,KF-2,2027-01-31,16\n"  # fine
        b"esx-03,servr,,,,,,,,\n"
        b"esx-04,server,broken,moon,9,nobody,Ghosts,,31/12/2027,many\n"
        b",server,,,,,,,,\n"
        b"ERP,application,,,,,,KF-9,,4\n"
        b"ESX-02,server,,,,,,,,\n"
    )
    report = import_file(data, filename="bad.csv", actor=None, dry_run=False)
    found = [(e.where, e.column) for e in report.errors]
    assert found == [
        ("3", "class"),
        ("4", "owner"),
        ("4", "support_group"),
        ("4", "status"),
        ("4", "environment"),
        ("4", "criticality"),
        ("4", "warranty_end"),
        ("4", "attr:cpu_count"),
        ("5", "name"),
        ("6", "asset_tag"),
        ("6", "attr:cpu_count"),
        ("7", "name"),
    ]
    messages = {(e.where, e.column): e.message for e in report.errors}
    assert "Unknown class “servr”" in messages[("3", "class")]
    assert "nobody" in messages[("4", "owner")]
    assert messages[("4", "attr:cpu_count")] == "CPUs: Enter a whole number."
    assert "no attribute “cpu_count”" in messages[("6", "attr:cpu_count")]
    assert "already on line 2" in messages[("7", "name")]
    assert "12 errors in 5 rows; nothing was imported" in report.summary()
    assert not report.written
    db.session.rollback()
    assert (count(db, ConfigurationItem), count(db, AuditEvent), revision(db)) == before


def test_relation_errors_name_the_row_and_ends_may_be_new_cis_of_the_same_file(db, make_ci):
    make_ci("shared", "server")
    make_ci("shared", "application")
    esx = make_ci("esx-01", "server")
    data = {
        "cis": [{"name": "crm-app", "class": "application"}],
        "relations": [
            {"source": "crm-app", "type": "runs_on", "target": "esx-01"},  # fine: new → old
            {"source": "crm-app", "type": "runs on", "target_id": esx.id},  # same relation
            {"source": "crm-app", "type": "eats", "target": "esx-01"},
            {"source": "nowhere", "type": "depends_on", "target": "esx-01"},
            {"source": "shared", "type": "depends_on", "target": "esx-01"},
            {
                "source": "shared",
                "source_class": "application",
                "type": "depends_on",
                "target": "shared",
                "target_class": "server",
            },  # fine  # noqa: E501
            {"source": "esx-01", "type": "depends_on", "target": "ESX-01"},
            {
                "source": "crm-app",
                "source_class": "databse",
                "type": "depends_on",
                "target_id": "x",
            },  # noqa: E501
        ],
    }
    report = import_file(json.dumps(data).encode(), filename="x.json", actor=None, dry_run=True)
    assert [(e.where, e.column) for e in report.errors] == [
        ("relations #2", "target"),
        ("relations #3", "type"),
        ("relations #4", "source"),
        ("relations #5", "source"),
        ("relations #7", "target"),
        ("relations #8", "source_class"),
        ("relations #8", "target_id"),
    ]
    messages = [e.message for e in report.errors]
    assert "already on relations #1" in messages[0]
    assert "Unknown relation type “eats”" in messages[1]
    assert "in the CMDB or in this file" in messages[2]
    assert "give “source_class”" in messages[3]
    assert "application, server" in messages[3]
    assert "itself" in messages[4]

    fixed = {"cis": data["cis"], "relations": [data["relations"][0], data["relations"][5]]}
    report = import_file(json.dumps(fixed).encode(), filename="x.json", actor=None, dry_run=False)
    db.session.commit()
    assert (report.created, report.relations_added) == (1, 2)
    again = import_file(json.dumps(fixed).encode(), filename="x.json", actor=None, dry_run=False)
    assert (again.unchanged, again.relations_added, again.relations_present) == (1, 0, 2)


def test_updates_are_in_the_history_and_unchanged_rows_change_nothing(db, make_ci, ci_class):
    services.add_attribute(
        actor=None, ci_class=ci_class("server"), name="os", label="OS", type_="string"
    )
    db.session.commit()
    esx = make_ci("esx-01", "server", location="Lyon", attributes={"os": "ESXi 7"})
    data = b"name,class,location,attr:os\nESX-01,server,Rotterdam,ESXi 8\n"
    dry = import_file(data, filename="move.csv", actor=None, dry_run=True)
    assert "0 CIs to create, 1 to update, 0 unchanged" in dry.summary()
    report = import_file(data, filename="move.csv", actor=None, dry_run=False)
    db.session.commit()
    assert (report.updated, report.created) == (1, 0)
    db.session.refresh(esx)
    assert (esx.name, esx.location) == ("ESX-01", "Rotterdam")
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_id == esx.id, AuditEvent.action == "updated")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["location"] == ["Lyon", "Rotterdam"]
    assert event.changes["attr:os"] == ["ESXi 7", "ESXi 8"]
    assert english(event.changes["reason"]) == "import of move.csv"

    before = (count(db, AuditEvent), revision(db))
    again = import_file(data, filename="move.csv", actor=None, dry_run=False)
    db.session.commit()
    assert (again.unchanged, again.updated) == (1, 0)
    assert (count(db, AuditEvent), revision(db)) == before
    # A column left out keeps its value; an empty cell clears it.
    import_file(
        b"name,class,attr:os\nesx-01,server,\n", filename="c.csv", actor=None, dry_run=False
    )
    db.session.commit()
    db.session.refresh(esx)
    assert esx.location == "Rotterdam"
    assert count(db, AttributeValue) == 0


def test_a_conflicting_write_undoes_the_whole_import(db, make_ci, monkeypatch):
    make_ci("esx-01", "server")
    before = (count(db, ConfigurationItem), count(db, AuditEvent), revision(db))
    real_add = transfer_write.add_relations

    def add_after_someone_else(new, **kwargs):
        # Another writer records one of these relations between the check and the write.
        r = new[1]
        db.session.add(CIRelation(source_id=r.source[0], target_id=r.target[0], type=r.type))
        db.session.flush()
        return real_add(new, **kwargs)

    monkeypatch.setattr(transfer_write, "add_relations", add_after_someone_else)
    data = {
        "cis": [{"name": f"vm-{n}", "class": "virtual_machine"} for n in range(3)],
        "relations": [
            {"source": f"vm-{n}", "type": "runs_on", "target": "esx-01"} for n in range(3)
        ],
    }
    report = import_file(json.dumps(data).encode(), filename="x.json", actor=None, dry_run=False)
    assert not report.written
    assert "conflicts with a change saved meanwhile" in report.errors[0].message
    assert (report.created, report.relations_added) == (0, 0)
    db.session.commit()  # even a careless caller's commit writes nothing
    assert (count(db, ConfigurationItem), count(db, AuditEvent), revision(db)) == before


def test_a_refused_update_names_its_row_and_nothing_is_written(db, make_ci, monkeypatch):
    make_ci("esx-01", "server")
    make_ci("esx-02", "server")

    def refuse(ci, **kwargs):
        raise Conflict(f"CI {ci.name} was changed by someone else after you opened it.")

    monkeypatch.setattr(services, "update_ci", refuse)
    data = b"name,class,location\nesx-new,server,Lyon\nesx-02,server,Lyon\n"
    report = import_file(data, filename="x.csv", actor=None, dry_run=False)
    assert [(e.where, e.message) for e in report.errors] == [
        ("3", "CI esx-02 was changed by someone else after you opened it.")
    ]
    db.session.commit()
    assert count(db, ConfigurationItem) == 2


def test_json_values_keep_their_types_and_bad_ones_are_reported(db, ci_class):
    server = ci_class("server")
    for name, kind in (("cpu_count", "integer"), ("virtualised", "boolean"), ("ram_gb", "decimal")):
        services.add_attribute(actor=None, ci_class=server, name=name, label="", type_=kind)
    db.session.commit()
    good = {"name": "esx-01", "class": "Server", "criticality": 1, "users_count": 0,
            "warranty_end": "2027-06-30",
            "attributes": {"cpu_count": 32, "virtualised": False, "ram_gb": "512.5"}}  # fmt: skip
    bad = {"name": "esx-02", "class": "server", "criticality": 1.5, "users_count": True,
           "location": 12, "attributes": {"cpu_count": 1.5, "virtualised": "maybe"}}  # fmt: skip
    report = import_file(
        json.dumps([good, bad]).encode(), filename="x.json", actor=None, dry_run=True
    )
    assert [(e.where, e.column) for e in report.errors] == [
        ("cis #2", "criticality"),
        ("cis #2", "users_count"),
        ("cis #2", "attributes.cpu_count"),
        ("cis #2", "attributes.virtualised"),
    ]
    report = import_file(json.dumps([good]).encode(), filename="x.json", actor=None, dry_run=False)
    db.session.commit()
    esx = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "esx-01"))
    assert (esx.criticality, str(esx.warranty_end)) == (1, "2027-06-30")


def test_a_file_over_the_limit_is_refused_before_it_is_read(db):
    report = import_file(b"name,class\n" + b"x,server\n" * 200, filename="big.csv", actor=None,
                         dry_run=True, max_bytes=1000)  # fmt: skip
    assert report.too_large
    assert report.errors[0].message == "The file is 1,811 bytes; the limit is 1,000 bytes."


@pytest.mark.parametrize(
    ("data", "size", "said"),
    [
        (b"x" * 1001, None, "The file is larger than the limit of 1,000 bytes."),  # cut off
        (b"x" * 1001, 5000, "The file is 5,000 bytes; the limit is 1,000 bytes."),
        (b"x" * 1001, 11 * 2**20, "The file is 11 MB; the limit is 1,000 bytes."),
    ],
)
def test_an_upload_read_up_to_the_limit_says_its_real_size_or_none(db, data, size, said):
    report = import_file(data, filename="big.csv", actor=None, dry_run=True, max_bytes=1000,
                         size=size)  # fmt: skip
    assert [e.message for e in report.errors] == [said]


def test_users_groups_are_named_and_an_unknown_one_is_a_row_error(db, make_ci):
    from app.auth import groups as group_services

    finance = group_services.create_group(actor=None, name="Finance", is_assignment_group=False)
    erp = make_ci("ERP", "business_service", users_count=30)
    before = (count(db, ConfigurationItem), count(db, AuditEvent), revision(db))
    data = (
        b"name,class,users_count,users_group\n"
        b"ERP,business_service,30,finance\n"  # a group's name in any case
        b"CRM,business_service,9,Sales people\n"
        b"Payroll,business_service,4,\n"
    )
    dry = import_file(data, filename="services.csv", actor=None, dry_run=True)
    assert [(e.where, e.column, e.message) for e in dry.errors] == [
        ("3", "users_group", "No group is named “Sales people”.")
    ]
    assert not dry.written
    db.session.rollback()
    assert (count(db, ConfigurationItem), count(db, AuditEvent), revision(db)) == before

    fixed = data.replace(b"Sales people", b"")
    report = import_file(fixed, filename="services.csv", actor=None, dry_run=False)
    db.session.commit()
    assert (report.updated, report.created) == (1, 2)
    db.session.refresh(erp)
    assert erp.users_group_id == finance.id
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_id == erp.id, AuditEvent.action == "updated")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["users_group_id"] == [None, finance.id]
    crm = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "CRM"))
    assert (crm.users_count, crm.users_group_id) == (9, None)
