"""Builders for CMDB tests (classes, CIs and relations come from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def demo_cmdb(db) -> Any:
    """The demo organisation and the demo CMDB, loaded and committed."""
    from app.cmdb.demo import load_cmdb
    from app.demo import load_organisation, read_demo_file, read_organisation

    load_organisation(read_organisation())
    report = load_cmdb(read_demo_file("cmdb.json"))
    db.session.commit()
    return report
