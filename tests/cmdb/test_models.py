"""The migration's seed rows agree with the pure engine's defaults (the migration copies them as
literals, because migrations never import application code)."""

from __future__ import annotations

from sqlalchemy import select

from app.cmdb.graph.vocabulary import CI_CLASSES, DEFAULT_RELATION_TYPES, RelationType
from app.cmdb.models import CIClass, CMDBRevision, RelationTypeRow


def test_seeded_relation_types_are_the_engine_defaults(db):
    rows = db.session.scalars(select(RelationTypeRow)).all()
    seeded = {
        r.name: RelationType(r.name, r.forward, r.reverse, r.propagation, r.membership)
        for r in rows
    }
    assert seeded == dict(DEFAULT_RELATION_TYPES)


def test_seeded_classes_cover_the_engine_classes_as_a_tree(db):
    classes = {c.name: c for c in db.session.scalars(select(CIClass))}
    assert set(CI_CLASSES) <= set(classes)
    assert classes["virtual_machine"].parent.name == "server"
    assert classes["laptop"].parent.name == "workstation"
    assert classes["laptop"].is_hardware
    assert not classes["application"].is_hardware
    assert db.session.scalar(select(CMDBRevision.id)) == 1
