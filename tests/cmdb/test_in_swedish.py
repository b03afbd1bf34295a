"""The CMDB reads in Swedish for people who chose it: a CI's lifecycle status, the graph page and
the words its script shows (carried in the page, in the reader's language); English readers
see no change."""

from __future__ import annotations

import json
import re

import pytest
from flask_babel import force_locale

from app.cmdb import services as cmdb_services
from app.cmdb.classes import services as class_services
from app.errors import Invalid
from app.extensions import db as _db

SWEDISH = {"Accept-Language": "sv"}


def _script_messages(page: str) -> dict[str, str]:
    found = re.search(r'<script type="application/json" id="dg-messages">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


def test_a_swedish_reader_sees_the_ci_and_its_graph_in_swedish(signed_in, make_ci, relate):
    host = make_ci("esx-sv-1", "server")
    vm = make_ci("vm-sv-1", "virtual_machine")
    relate(vm, "runs_on", host)
    client, _agent = signed_in("agent", "employee")

    detail = client.get(f"/cmdb/{host.id}", headers=SWEDISH).get_data(as_text=True)
    assert ">I drift</span>" in detail
    graph = client.get(f"/cmdb/{host.id}/graph", headers=SWEDISH).get_data(as_text=True)
    assert "Runt esx-sv-1" in graph
    messages = _script_messages(graph)
    assert messages["cmdb.graph.failed"].startswith("Den interaktiva grafen kunde inte")
    assert "%(name)s" in messages["cmdb.graph.hidden"]
    assert messages["cmdb.status.in_service"] == "I drift"

    english = client.get(f"/cmdb/{host.id}/graph").get_data(as_text=True)
    assert "Around esx-sv-1" in english
    assert _script_messages(english)["cmdb.status.in_service"] == "In service"


def test_a_refusal_is_worded_in_swedish(signed_in, make_ci):
    host = make_ci("esx-sv-2", "server")
    client, _admin = signed_in("admin", "agent", "employee")
    refused = client.post(
        f"/cmdb/{host.id}/relations",
        {"type": "runs_on", "other": "esx-sv-2", "direction": "forward"},
        headers=SWEDISH,
    )
    assert refused.status_code == 422
    assert "esx-sv-2 kan inte ha en relation till sig självt." in refused.get_data(as_text=True)


def test_environments_and_attribute_types_read_in_the_readers_language(db, signed_in, make_ci):
    host = make_ci("esx-sv-3", "server", environment="production")
    client, admin = signed_in("admin", "agent", "employee")
    admin.language = "sv"
    db.session.commit()
    detail = client.get(f"/cmdb/{host.id}").get_data(as_text=True)
    assert " · Produktion</p>" in detail
    form = client.get("/cmdb/new?class=server").get_data(as_text=True)
    assert '<option value="staging">Förproduktion</option>' in form
    classes = client.get("/cmdb/classes").get_data(as_text=True)
    assert '<option value="integer">Heltal</option>' in classes
    listed = client.get("/cmdb/?q=esx-sv-3").get_data(as_text=True)
    assert "<td>Produktion</td>" in listed

    admin.language = "en"
    db.session.commit()
    assert " · Production</p>" in client.get(f"/cmdb/{host.id}").get_data(as_text=True)
    assert '<option value="integer">Whole number</option>' in client.get("/cmdb/classes").get_data(
        as_text=True
    )


def _refusal(call) -> dict:
    try:
        call()
    except Invalid as error:
        _db.session.rollback()
        return {k: str(v[0] if isinstance(v, list) else v) for k, v in error.field_errors.items()}
    raise AssertionError("not refused")  # pragma: no cover


def test_ci_and_class_checks_are_worded_in_the_readers_language(app, db, ci_class):
    """A CI's fields, its attributes and a class's fields: Swedish for a Swedish reader,
    English for an English one."""
    server = ci_class("server")
    service = ci_class("business_service")

    def refusals():
        return {
            **_refusal(
                lambda: cmdb_services.create_ci(
                    actor=None, ci_class=service, name="", asset_tag="A-1", criticality=9
                )
            ),
            **_refusal(
                lambda: class_services.add_class(actor=None, name="Bad Name", label="", parent=None)
            ),
            **_refusal(
                lambda: cmdb_services.create_ci(
                    actor=None, ci_class=server, name="x", attribute_values={"nope": "1"}
                )
            ),
        }

    with app.test_request_context(), force_locale("sv"):
        swedish = refusals()
    assert swedish["name"] == ("Använd gemener, siffror och understreck, och börja med en bokstav.")
    assert swedish["label"] == "Ge klassen en etikett på högst 100 tecken."
    assert swedish["criticality"] == "Kritikalitet går från 1 (kritisk) till 4 (låg)."
    assert swedish["asset_tag"].endswith("har inga tillgångsfält för hårdvara.")
    assert swedish["attr_nope"] == "Klassen har inget attribut ”nope”."

    with app.test_request_context(), force_locale("en"):
        english = refusals()
    assert english["criticality"] == "Criticality goes from 1 (critical) to 4 (low)."
    assert english["attr_nope"] == "This class has no attribute “nope”."


def test_an_attribute_value_is_refused_in_the_readers_language(app, db, ci_class):
    from app.cmdb.attributes import parse_value
    from app.cmdb.models import AttributeDefinition, AttributeType

    number = AttributeDefinition(name="cores", label="Cores", type=AttributeType.INTEGER)
    for language, expected in (("sv", "Ange ett heltal."), ("en", "Enter a whole number.")):
        with (
            app.test_request_context(),
            force_locale(language),
            pytest.raises(ValueError, match=expected),
        ):
            parse_value(number, "many")


def _boolean(ci_class, name: str):
    return class_services.add_attribute(
        actor=None, ci_class=ci_class("server"), name=name, label=name.title(), type_="boolean"
    )


def test_a_yes_or_no_attribute_reads_in_the_readers_language(db, signed_in, make_ci, ci_class):
    for name in ("virtualised", "clustered"):
        _boolean(ci_class, name)
    db.session.commit()
    host = make_ci("esx-sv-4", "server", attributes={"virtualised": "yes", "clustered": "no"})
    client, agent = signed_in("agent", "employee")
    for language, yes, no in (("sv", "ja", "nej"), ("en", "yes", "no")):
        agent.language = language
        db.session.commit()
        detail = client.get(f"/cmdb/{host.id}").get_data(as_text=True)
        assert f"<dt>Virtualised</dt><dd>{yes}</dd>" in detail
        assert f"<dt>Clustered</dt><dd>{no}</dd>" in detail


def test_a_deleted_yes_or_no_value_stays_a_boolean_in_the_history(app, db, make_ci, ci_class):
    """The history words it for each reader: not the deleting admin's words."""
    from sqlalchemy import select

    from app.audit import AuditEvent
    from app.cmdb.classes.attributes import delete_attribute

    definition = _boolean(ci_class, "virtualised")
    db.session.commit()
    host = make_ci("esx-sv-5", "server", attributes={"virtualised": "yes"})
    with app.test_request_context(), force_locale("sv"):
        delete_attribute(definition, actor=None, confirm="virtualised")
    db.session.commit()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == host.id, AuditEvent.action == "updated")
    ).one()
    assert event.changes["attr:virtualised"] == [True, None]
