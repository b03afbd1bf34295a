"""Builders for CMDB tests: classes by name, CIs and relations made through the services."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def ci_class(db) -> Any:
    """``ci_class("server")`` → the seeded class of that name."""
    from sqlalchemy import select

    from app.cmdb.models import CIClass

    def get(name: str) -> Any:
        found = db.session.scalar(select(CIClass).where(CIClass.name == name))
        assert found is not None, f"no class {name}"
        return found

    return get


@pytest.fixture
def make_ci(db, ci_class) -> Any:
    """``make_ci("erp-app-01", "application", **fields)`` → a committed CI."""
    from app.cmdb import services

    def make(name: str, class_name: str = "application", attributes=None, **fields: Any) -> Any:
        ci = services.create_ci(
            actor=None,
            ci_class=ci_class(class_name),
            attribute_values=attributes,
            name=name,
            **fields,
        )
        db.session.commit()
        return ci

    return make


@pytest.fixture
def relate(db) -> Any:
    """``relate(source, "runs_on", target)`` → a committed relation."""
    from app.cmdb import services

    def make(source: Any, type_name: str, target: Any) -> Any:
        relation = services.relate(source, target, type_name, actor=None)
        db.session.commit()
        return relation

    return make


@pytest.fixture
def demo_cmdb(db) -> Any:
    """The demo organisation and the demo CMDB, loaded and committed."""
    from app.cmdb.demo import load_cmdb
    from app.demo import load_organisation, read_demo_file, read_organisation

    load_organisation(read_organisation())
    report = load_cmdb(read_demo_file("cmdb.json"))
    db.session.commit()
    return report
