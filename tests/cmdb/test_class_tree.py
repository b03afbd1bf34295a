"""The class tree's one question from other domains (``of_class``: the CIs of a class or one
of its subclasses) and ``subtree_ids``, both ending their walk in a loop of the hierarchy."""

from __future__ import annotations

from sqlalchemy import select, update

from app.cmdb import services
from app.cmdb.classes.tree import of_class, subtree_ids
from app.cmdb.models import CIClass, ConfigurationItem


def names_of_class(db, name: str) -> list[str]:
    query = select(ConfigurationItem.name).where(of_class(name))
    return list(db.session.scalars(query.order_by(ConfigurationItem.name)))


def test_a_class_means_its_subclasses_at_any_depth(db, service_kinds, make_ci, ci_class):
    make_ci("Email", "business_service")
    make_ci("Payroll SaaS", "saas_service")
    make_ci("Team chat", "chat_service")
    make_ci("erp-db-01", "server")
    assert names_of_class(db, "business_service") == ["Email", "Payroll SaaS", "Team chat"]
    assert names_of_class(db, "saas_service") == ["Payroll SaaS", "Team chat"]
    assert names_of_class(db, "chat_service") == ["Team chat"]
    assert names_of_class(db, "no_such_class") == []
    saas, chat = ci_class("saas_service"), ci_class("chat_service")
    assert subtree_ids(saas) == sorted([saas.id, chat.id])
    assert subtree_ids(chat) == [chat.id]


def test_a_loop_in_the_hierarchy_ends_the_walk(db, make_ci):
    """The class pages refuse a loop; one made behind their back must not hang a page."""
    east = services.add_class(actor=None, name="east", label="East", parent=None)
    west = services.add_class(actor=None, name="west", label="West", parent=east)
    north = services.add_class(actor=None, name="north", label="North", parent=west)
    db.session.commit()
    db.session.execute(update(CIClass).where(CIClass.id == east.id).values(parent_id=west.id))
    db.session.commit()
    make_ci("e-1", "east")
    make_ci("n-1", "north")
    assert names_of_class(db, "west") == ["e-1", "n-1"]
    assert subtree_ids(west) == sorted([east.id, west.id, north.id])
    assert subtree_ids(north) == [north.id]
