"""Builders for the role homes: business services in the CMDB, and the incident and SLA
builders of their own test folders."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.incidents.conftest import make_incident, queue  # noqa: F401  (shared builders)
from tests.sla.conftest import calendar_row, policy  # noqa: F401  (shared builders)


@pytest.fixture
def business_service(db) -> Any:
    """Builder: ``business_service("ERP", owner)`` → a committed business service CI."""
    from app.cmdb import services
    from app.cmdb.models import CIClass

    def make(name: str, owner, **fields):
        ci_class = db.session.scalar(select(CIClass).where(CIClass.name == "business_service"))
        ci = services.create_ci(
            actor=None, ci_class=ci_class, name=name, owner_id=owner.id, **fields
        )
        db.session.commit()
        return ci

    return make
