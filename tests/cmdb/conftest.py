"""Builders for CMDB tests: classes by name, CIs and relations made through the services."""

from __future__ import annotations

from typing import Any

import pytest


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
