"""CMDB services on both databases: validation, names, relations, deletion, versions, audit,
typed attributes and filtering on them, classes and the revision counter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit import AuditEvent
from app.cmdb import attributes, services
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import CIRelation, CMDBRevision, ConfigurationItem
from app.errors import Conflict, Invalid


def events(db, ci, action=None):
    query = select(AuditEvent).where(AuditEvent.object_type == "ci", AuditEvent.object_id == ci.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def revision(db):
    return db.session.scalar(select(CMDBRevision.value))


def test_create_checks_every_field_and_reports_each_error(db, ci_class):
    with pytest.raises(Invalid) as caught:
        services.create_ci(
            actor=None,
            ci_class=ci_class("application"),
            name="  ",
            environment="moon",
            criticality=9,
            min_up=2,
            min_up_percent=50,
            asset_tag="KF-1",
            users_count=-3,
        )
    errors = caught.value.field_errors
    assert set(errors) == {
        "name",
        "environment",
        "criticality",
        "min_up",
        "asset_tag",
        "users_count",
    }
    assert "hardware" in errors["asset_tag"][0]
    assert db.session.scalar(select(func.count()).select_from(ConfigurationItem)) == 0


def test_names_are_unique_per_class_whatever_the_case(db, make_ci):
    make_ci("erp-app-01", "application")
    with pytest.raises(Invalid, match="already exists") as caught:
        make_ci("ERP-APP-01", "application")
    assert "name" in caught.value.field_errors
    db.session.rollback()
    assert make_ci("erp-app-01", "virtual_machine").id  # another class: allowed


def test_create_and_update_are_audited_with_before_and_after(db, make_ci, make_user):
    admin = make_user(roles=["admin"])
    ci = make_ci("crm-app-01", "application", environment="production")
    created = events(db, ci, "created")
    assert created[0].changes["name"] == [None, "crm-app-01"]
    assert created[0].changes["class"] == [None, "application"]
    changes = services.update_ci(
        ci, actor=admin, expected_version=ci.version, environment="test", location="Lyon"
    )
    db.session.commit()
    assert changes == {"environment": ["production", "test"], "location": [None, "Lyon"]}
    updated = events(db, ci, "updated")[-1]
    assert updated.actor_id == admin.id
    assert updated.changes["environment"] == ["production", "test"]
    assert services.update_ci(ci, actor=admin, location="Lyon") == {}  # nothing changed
    assert len(events(db, ci, "updated")) == 1


def test_a_stale_version_is_a_conflict_and_changes_nothing(db, make_ci):
    ci = make_ci("fleet-app-01")
    seen = ci.version
    services.update_ci(ci, actor=None, expected_version=seen, location="Rotterdam")
    db.session.commit()
    with pytest.raises(Conflict):
        services.update_ci(ci, actor=None, expected_version=seen, location="Lyon")
    with pytest.raises(Invalid):
        services.update_ci(ci, actor=None, expected_version="v2", location="Lyon")
    db.session.rollback()
    assert db.session.get(ConfigurationItem, ci.id).location == "Rotterdam"


def test_retire_keeps_the_ci_and_refuses_twice(db, make_ci):
    ci = make_ci("fax-srv-01", "server")
    services.retire_ci(ci, actor=None, expected_version=ci.version)
    db.session.commit()
    assert ci.status is Lifecycle.RETIRED
    with pytest.raises(Invalid, match="already retired"):
        services.retire_ci(ci, actor=None)


def test_relations_refuse_self_duplicates_and_unknown_types_but_allow_cycles(db, make_ci, relate):
    app_ci, db_ci = make_ci("erp-app-01"), make_ci("erp-db-01", "database")
    with pytest.raises(Invalid, match="itself") as caught:
        services.relate(app_ci, app_ci, "depends_on", actor=None)
    assert "target" in caught.value.field_errors
    relate(app_ci, "depends_on", db_ci)
    with pytest.raises(Invalid, match="erp-app-01 already depends on erp-db-01"):
        services.relate(app_ci, db_ci, "depends_on", actor=None)
    with pytest.raises(Invalid) as caught:
        services.relate(app_ci, db_ci, "loves", actor=None)
    assert "type" in caught.value.field_errors
    relate(db_ci, "depends_on", app_ci)  # a cycle: allowed
    relate(app_ci, "connected_to", db_ci)  # another type between the same pair: allowed
    result = services.impact_of_ci_names(["erp-db-01"])
    assert {a.name for a in result.affected} == {"erp-db-01", "erp-app-01"}


def test_the_database_refuses_self_relations_and_duplicates_too(db, make_ci, relate):
    a, b = make_ci("a-01"), make_ci("b-01")
    relate(a, "depends_on", b)
    for source, target in ((a.id, a.id), (a.id, b.id)):
        savepoint = db.session.begin_nested()
        db.session.add(CIRelation(source_id=source, target_id=target, type="depends_on"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        savepoint.rollback()


def test_relation_changes_are_in_the_history_of_both_cis(db, make_ci, relate, make_user):
    admin = make_user(roles=["admin"])
    vm, host = make_ci("vm-7", "virtual_machine"), make_ci("esx-01", "server")
    relation = services.relate(vm, host, "runs_on", actor=admin)
    db.session.commit()
    assert events(db, vm, "relation_added")[0].changes["relation"] == [None, "runs on esx-01"]
    assert events(db, host, "relation_added")[0].changes["relation"] == [None, "hosts vm-7"]
    services.unrelate(relation, actor=admin)
    db.session.commit()
    assert events(db, host, "relation_removed")[0].changes["relation"] == ["hosts vm-7", None]
    assert events(db, host, "relation_removed")[0].actor_id == admin.id


def test_deleting_a_related_ci_is_a_conflict_listing_its_dependents(db, make_ci, relate):
    san = make_ci("san-01", "storage")
    hosts = [make_ci(f"esx-0{i}", "server") for i in (1, 2)]
    relations = [relate(h, "depends_on", san) for h in hosts]
    with pytest.raises(Conflict) as caught:
        services.delete_ci(san, actor=None)
    assert caught.value.status == 409
    assert caught.value.dependents == ["esx-01", "esx-02"]
    assert "used by esx-01" in caught.value.message
    for relation in relations:
        services.unrelate(relation, actor=None)
    services.delete_ci(san, actor=None)
    db.session.commit()
    assert db.session.get(ConfigurationItem, san.id) is None
    assert db.session.scalar(
        select(AuditEvent.action).where(
            AuditEvent.object_id == san.id, AuditEvent.action == "deleted"
        )
    )


def test_every_change_bumps_the_revision(db, make_ci, relate):
    start = revision(db)
    a = make_ci("one")
    b = make_ci("two")
    relation = relate(a, "depends_on", b)
    services.update_ci(a, actor=None, location="x")
    services.unrelate(relation, actor=None)
    db.session.commit()
    assert revision(db) == start + 5


@pytest.fixture
def server_attributes(db, ci_class):
    server = ci_class("server")
    defs = {
        "os": ("string", None),
        "cpu_count": ("integer", None),
        "capacity": ("decimal", None),
        "virtualised": ("boolean", None),
        "installed": ("date", None),
        "tier": ("choice", ["gold", "silver"]),
    }
    for name, (kind, choices) in defs.items():
        services.add_attribute(
            actor=None, ci_class=server, name=name, label="", type_=kind, choices=choices
        )
    services.add_attribute(
        actor=None,
        ci_class=ci_class("database"),
        name="engine",
        label="Engine",
        type_="choice",
        choices=["PostgreSQL"],
        required=True,
    )
    db.session.commit()
    return server


def test_attributes_are_typed_and_each_bad_value_is_reported(db, make_ci, server_attributes):
    with pytest.raises(Invalid) as caught:
        make_ci(
            "esx-01",
            "server",
            attributes={
                "cpu_count": "many",
                "capacity": "1,5",
                "virtualised": "perhaps",
                "installed": "31/12/2024",
                "tier": "bronze",
                "colour": "red",
            },
        )
    assert set(caught.value.field_errors) == {
        "attr_cpu_count",
        "attr_capacity",
        "attr_virtualised",
        "attr_installed",
        "attr_tier",
        "attr_colour",
    }
    db.session.rollback()
    with pytest.raises(Invalid, match="Engine is required"):
        make_ci("db-01", "database")


def test_virtual_machines_inherit_server_attributes_and_values_round_trip(
    db, make_ci, server_attributes
):
    vm = make_ci(
        "vm-1",
        "virtual_machine",
        attributes={
            "os": "Debian 12",
            "cpu_count": "8",
            "capacity": "12.5",
            "virtualised": "yes",
            "installed": "2024-02-29",
            "tier": "gold",
        },
    )
    db.session.expire_all()
    values = {d.name: v for d, v in __import__("app.cmdb.pages", fromlist=["x"]).attribute_rows(vm)}
    assert values == {
        "os": "Debian 12",
        "cpu_count": 8,
        "capacity": Decimal("12.5"),
        "virtualised": True,
        "installed": date(2024, 2, 29),
        "tier": "gold",
    }
    changes = services.set_attributes(vm, {"cpu_count": "16", "os": ""}, actor=None)
    assert changes == {"attr:cpu_count": [8, 16], "attr:os": ["Debian 12", None]}


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("cpu_count", "8", {"vm-small"}),
        ("cpu_count", "64", {"esx-big"}),
        ("os", "debian", {"vm-small", "esx-big"}),  # case-insensitive substring
        ("os", "50%", set()),  # LIKE wildcards are literal
        ("capacity", "12.50", {"vm-small"}),
        ("virtualised", "no", {"esx-big"}),
        ("installed", "2024-02-29", {"vm-small"}),
        ("tier", "silver", {"esx-big"}),
    ],
)
def test_attribute_filters_compare_typed_values_on_both_databases(
    db, make_ci, server_attributes, name, raw, expected
):
    from app.cmdb.attributes import definitions_for

    make_ci(
        "vm-small",
        "virtual_machine",
        attributes={
            "os": "Debian 12",
            "cpu_count": "8",
            "capacity": "12.5",
            "virtualised": "yes",
            "installed": "2024-02-29",
            "tier": "gold",
        },
    )
    make_ci(
        "esx-big",
        "server",
        attributes={
            "os": "Debian 12 (ESXi host)",
            "cpu_count": "64",
            "capacity": "100",
            "virtualised": "no",
            "installed": "2023-01-01",
            "tier": "silver",
        },
    )
    definition = next(d for d in definitions_for(server_attributes) if d.name == name)
    found = db.session.scalars(
        select(ConfigurationItem.name).where(attributes.filter_clause(definition, raw))
    ).all()
    assert set(found) == expected


def test_a_filter_value_of_the_wrong_type_is_refused(db, server_attributes):
    from app.cmdb.attributes import definitions_for

    cpu = next(d for d in definitions_for(server_attributes) if d.name == "cpu_count")
    with pytest.raises(ValueError, match="whole number"):
        attributes.filter_clause(cpu, "eight")


def test_admins_add_classes_and_attributes_with_checked_names(db, ci_class):
    printer = services.add_class(
        actor=None, name="Printer", label="Printer", parent=None, is_hardware=True
    )
    assert printer.name == "printer"
    firewall = services.add_class(
        actor=None, name="firewall", label="Firewall", parent=ci_class("network_device")
    )
    assert firewall.is_hardware  # inherited
    with pytest.raises(Invalid) as caught:
        services.add_class(actor=None, name="printer", label="")
    assert set(caught.value.field_errors) == {"name", "label"}
    with pytest.raises(Invalid, match="lowercase"):
        services.add_class(actor=None, name="9 bad name", label="Bad")
    services.add_attribute(
        actor=None,
        ci_class=ci_class("network_device"),
        name="ports",
        label="Ports",
        type_="integer",
    )
    with pytest.raises(Invalid, match="already has"):  # inherited from network_device
        services.add_attribute(
            actor=None, ci_class=firewall, name="ports", label="", type_="string"
        )
    with pytest.raises(Invalid) as caught:
        services.add_attribute(actor=None, ci_class=firewall, name="zone", label="", type_="choice")
    assert "choices" in caught.value.field_errors
    with pytest.raises(Invalid) as caught:
        services.add_attribute(actor=None, ci_class=firewall, name="zone", label="", type_="blob")
    assert "type" in caught.value.field_errors


def test_deleting_a_ci_removes_its_attribute_values(db, make_ci, server_attributes):
    from app.cmdb.models import AttributeValue

    ci = make_ci("esx-09", "server", attributes={"os": "ESXi", "cpu_count": "8"})
    assert db.session.scalar(select(func.count()).select_from(AttributeValue)) == 2
    services.delete_ci(ci, actor=None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AttributeValue)) == 0


def test_redundancy_rules_and_numbers_are_checked_on_partial_updates(db, make_ci):
    cluster = make_ci("db-cluster", "cluster", min_up_percent=50)
    with pytest.raises(Invalid, match="not both"):
        services.update_ci(cluster, actor=None, min_up=2)
    with pytest.raises(Invalid) as caught:
        services.update_ci(cluster, actor=None, users_count="many", criticality="2")
    assert set(caught.value.field_errors) == {"users_count"}
    services.update_ci(cluster, actor=None, min_up="2", min_up_percent=None)
    db.session.commit()
    assert (cluster.min_up, cluster.min_up_percent) == (2, None)
