"""Administrators edit and delete CI classes and attribute definitions from the classes pages:
safe changes go through and are audited, unsafe ones are refused with a specific message."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.cmdb import services
from app.cmdb.models import AttributeDefinition, AttributeValue, CIClass


def body(response) -> str:
    return response.get_data(as_text=True)


def version_of(page) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', body(page))[1]


@pytest.fixture
def admin(signed_in):
    client, _ = signed_in("admin", "employee")
    return client


@pytest.fixture
def firewall(db, ci_class):
    """A custom class Firewall under Network device, with a choice attribute ``zone``."""
    fw = services.add_class(
        actor=None, name="firewall", label="Firewall", parent=ci_class("network_device")
    )
    services.add_attribute(
        actor=None, ci_class=fw, name="zone", label="Zone", type_="choice", choices=["dmz", "lan"]
    )
    db.session.commit()
    return fw


def definition(db, name: str) -> AttributeDefinition:
    db.session.expire_all()
    return db.session.scalar(select(AttributeDefinition).where(AttributeDefinition.name == name))


def edit_class(client, ci_class, **fields):
    url = f"/cmdb/classes/{ci_class.id}"
    current = {
        "name": ci_class.name,
        "label": ci_class.label,
        "parent": str(ci_class.parent_id or ""),
        "description": ci_class.description,
        "version": version_of(client.get(url)),
    }
    if ci_class.is_hardware:
        current["is_hardware"] = "y"
    return client.post(url, {**current, **fields})


def edit_attribute(client, d: AttributeDefinition, **fields):
    url = f"/cmdb/classes/attributes/{d.id}"
    current = {
        "name": d.name,
        "label": d.label,
        "help": d.help,
        "type": d.type.value,
        "choices": ", ".join(d.choices),
        "version": version_of(client.get(url)),
    }
    if d.required:
        current["required"] = "y"
    return client.post(url, {**current, **fields})


def test_a_class_is_renamed_described_and_audited(admin, db, firewall):
    page = admin.get(f"/cmdb/classes/{firewall.id}")
    assert page.status_code == 200
    assert "What can change" in body(page)
    response = edit_class(
        admin, firewall, name="next_gen_firewall", label="NG firewall", description="Layer 7"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert firewall.name == "next_gen_firewall"
    assert firewall.description == "Layer 7"
    tree = body(admin.get("/cmdb/classes"))
    assert "NG firewall" in tree
    assert "Layer 7" in tree
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "ci_class", AuditEvent.action == "updated"
        )
    ).one()
    assert event.changes["name"] == ["firewall", "next_gen_firewall"]


def test_built_in_classes_keep_name_and_place_but_take_a_new_label(admin, db, ci_class):
    server = ci_class("server")
    refused = edit_class(admin, server, name="host")
    assert refused.status_code == 422
    assert "Built-in classes keep their name" in body(refused)
    moved = edit_class(admin, server, parent=str(ci_class("storage").id))
    assert moved.status_code == 422
    assert edit_class(admin, server, label="Physical server").status_code == 302
    db.session.expire_all()
    assert (server.name, server.label) == ("server", "Physical server")
    assert "readonly" in body(admin.get(f"/cmdb/classes/{server.id}"))


def test_moving_a_class_is_refused_when_cis_would_lose_values(admin, db, firewall, make_ci):
    services.add_attribute(
        actor=None, ci_class=firewall.parent, name="ports", label="Ports", type_="integer"
    )
    db.session.commit()
    make_ci("fw-01", "firewall", attributes={"ports": "48"})
    root = edit_class(admin, firewall, parent="")
    assert root.status_code == 409
    assert "would drop inherited attributes" in body(root)
    assert "Ports (1 CIs)" in body(root)
    # Under itself: refused as bad input.
    child = services.add_class(actor=None, name="waf", label="WAF", parent=firewall)
    db.session.commit()
    loop = edit_class(admin, firewall, parent=str(child.id))
    assert loop.status_code == 422
    assert "under itself or one of its subclasses" in body(loop)
    db.session.expire_all()
    assert firewall.parent.name == "network_device"
    # A class whose CIs hold no inherited values moves freely.
    assert edit_class(admin, child, parent="").status_code == 302
    db.session.expire_all()
    assert child.parent_id is None


def test_deleting_a_class_is_refused_while_it_has_cis_or_subclasses(admin, db, firewall, make_ci):
    url = f"/cmdb/classes/{firewall.id}/delete"
    version = version_of(admin.get(f"/cmdb/classes/{firewall.id}"))
    child = services.add_class(actor=None, name="waf", label="WAF", parent=firewall)
    db.session.commit()
    refused = admin.post(url, {"version": version})
    assert refused.status_code == 409
    assert "has subclasses (WAF)" in body(refused)

    assert admin.post(f"/cmdb/classes/{child.id}/delete", {"version": "1"}).status_code == 302
    make_ci("fw-01", "firewall", status="retired")
    refused = admin.post(url, {"version": version})
    assert refused.status_code == 409
    assert "1 CIs are of class Firewall (fw-01), retired ones included" in body(refused)

    builtin = admin.post(f"/cmdb/classes/{firewall.parent_id}/delete", {"version": "1"})
    assert builtin.status_code == 409
    assert "built-in class" in body(builtin)
    assert db.session.get(CIClass, firewall.id) is not None


def test_an_unused_class_is_deleted_with_its_attributes(admin, db, firewall):
    class_id = firewall.id
    page = admin.get(f"/cmdb/classes/{class_id}")
    assert "Delete class" in body(page)
    response = admin.post(f"/cmdb/classes/{class_id}/delete", {"version": version_of(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CIClass, class_id) is None
    assert definition(db, "zone") is None
    deleted = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "deleted", AuditEvent.object_id == class_id)
    ).one()
    assert deleted.changes["attributes"] == [["zone"], None]
    assert admin.get(f"/cmdb/classes/{class_id}").status_code == 404


def test_stale_class_edits_and_deletes_are_conflicts(admin, db, firewall):
    stale = version_of(admin.get(f"/cmdb/classes/{firewall.id}"))
    assert edit_class(admin, firewall, label="Firewall appliance").status_code == 302
    data = {"name": "firewall", "label": "Other", "version": stale, "parent": ""}
    conflict = admin.post(f"/cmdb/classes/{firewall.id}", data)
    assert conflict.status_code == 409
    assert "changed by someone else" in body(conflict)
    assert 'value="Firewall appliance"' in body(conflict)  # the current state is shown
    assert admin.post(f"/cmdb/classes/{firewall.id}/delete", {"version": stale}).status_code == 409
    db.session.expire_all()
    assert firewall.label == "Firewall appliance"


def test_hardware_cannot_be_switched_off_while_cis_hold_asset_fields(admin, db, firewall, make_ci):
    make_ci("fw-01", "firewall", asset_tag="KF-1")
    data = {"name": "firewall", "label": "Firewall", "parent": str(firewall.parent_id)}
    refused = admin.post(f"/cmdb/classes/{firewall.id}", {**data, "version": str(firewall.version)})
    assert refused.status_code == 409
    assert "fw-01" in body(refused)
    assert "asset fields" in body(refused)
    db.session.expire_all()
    assert firewall.is_hardware


def test_attribute_label_help_required_and_choices_change(admin, db, firewall):
    zone = definition(db, "zone")
    response = edit_attribute(
        admin,
        zone,
        label="Security zone",
        help="Where the firewall sits",
        required="y",
        choices="dmz, lan, wan",
    )
    assert response.status_code == 302
    zone = definition(db, "zone")
    assert (zone.label, zone.required, zone.choices) == (
        "Security zone",
        True,
        ["dmz", "lan", "wan"],
    )
    form = body(admin.get("/cmdb/new?class=firewall"))
    assert "Where the firewall sits" in form
    assert 'value="wan"' in form


def test_used_choices_and_types_are_kept_and_names_are_unique_along_the_tree(
    admin, db, firewall, make_ci
):
    make_ci("fw-01", "firewall", attributes={"zone": "dmz"})
    zone = definition(db, "zone")
    removed = edit_attribute(admin, zone, choices="lan")
    assert removed.status_code == 409
    assert "“dmz” (1 CIs)" in body(removed)
    retyped = edit_attribute(admin, zone, type="string")
    assert retyped.status_code == 409
    assert "its type cannot change" in body(retyped)
    assert definition(db, "zone").type.value == "choice"
    # The parent may not take a name a subclass already uses.
    services.add_attribute(
        actor=None, ci_class=firewall.parent, name="ports", label="Ports", type_="integer"
    )
    db.session.commit()
    clash = edit_attribute(admin, definition(db, "ports"), name="zone")
    assert clash.status_code == 422
    assert "already has an attribute “zone”" in body(clash)
    # Without values the type may change.
    assert edit_attribute(admin, definition(db, "ports"), type="string").status_code == 302
    assert definition(db, "ports").type.value == "string"


def test_an_attribute_with_values_is_deleted_only_when_the_admin_confirms(
    admin, db, firewall, make_ci
):
    fw = make_ci("fw-01", "firewall", attributes={"zone": "dmz"})
    zone = definition(db, "zone")
    url = f"/cmdb/classes/attributes/{zone.id}/delete"
    page = admin.get(f"/cmdb/classes/attributes/{zone.id}")
    assert "type the attribute" in body(page)
    refused = admin.post(url, {"version": version_of(page)})
    assert refused.status_code == 409
    assert "1 CIs hold a value of Zone (fw-01)" in body(refused)
    assert admin.post(url, {"version": version_of(page), "confirm": "zonE "}).status_code == 302
    assert definition(db, "zone") is None
    assert db.session.scalars(select(AttributeValue)).all() == []
    history = body(admin.get(f"/cmdb/{fw.id}"))
    assert "zone" in history  # the lost value stays in the CI's history
    assert "dmz" in history


def test_an_unused_attribute_is_deleted_at_once(admin, db, firewall):
    zone = definition(db, "zone")
    url = f"/cmdb/classes/attributes/{zone.id}/delete"
    assert admin.post(url, {}).status_code == 422  # a delete names the version it saw
    assert admin.post(url, {"version": str(zone.version)}).status_code == 302
    assert definition(db, "zone") is None
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attribute_deleted")
    ).one()
    assert event.changes["attribute"] == ["zone (choice)", None]


def test_agents_cannot_edit_and_bad_input_is_refused(signed_in, db, firewall):
    zone = definition(db, "zone")
    agent, _ = signed_in("agent", "employee")
    tree = body(agent.get("/cmdb/classes"))
    assert "Firewall" in tree
    assert f"/cmdb/classes/{firewall.id}" not in tree  # no edit links for agents
    for url in (f"/cmdb/classes/{firewall.id}", f"/cmdb/classes/attributes/{zone.id}"):
        assert agent.get(url).status_code == 403
        assert agent.post(url + "/delete", {}).status_code == 403
    agent.post("/logout")
    admin, _ = signed_in("admin", "employee")
    assert admin.get("/cmdb/classes/987654").status_code == 404
    assert admin.post("/cmdb/classes/attributes/987654/delete", {}).status_code == 404
    bad = {"name": "firewall", "label": "", "parent": "", "version": "1"}
    assert admin.post(f"/cmdb/classes/{firewall.id}", bad).status_code == 422
    bad = {"name": "firewall", "label": "F", "parent": "nope", "version": "1"}
    assert admin.post(f"/cmdb/classes/{firewall.id}", bad).status_code == 422
    bad = {"name": "firewall", "label": "F", "parent": "", "version": "x"}
    assert admin.post(f"/cmdb/classes/{firewall.id}", bad).status_code == 422
    bad = {"name": "zone", "type": "blob", "version": "1"}
    assert admin.post(f"/cmdb/classes/attributes/{zone.id}", bad).status_code == 422
    db.session.expire_all()
    assert (firewall.label, definition(db, "zone").type.value) == ("Firewall", "choice")
