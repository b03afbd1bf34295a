"""Builders for SLA tests: calendars and policies as rows, queues and incidents (from the
incident tests' builders), and fixed instants on a known week."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.incidents.conftest import make_incident, queue  # noqa: F401  (shared builders)
from tests.requests.conftest import make_item, org, place  # noqa: F401  (shared builders)

# Hypothesis through the real services and database: few examples, no deadline (the machine is
# shared; timing is the benchmark's job), function-scoped fixtures shared by the examples.
DATABASE_EXAMPLES = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OFFICE = [[["08:00", "18:00"]]] * 5 + [[], []]


def at(text: str) -> datetime:
    """``at("2026-03-02 16:00")``: a UTC instant (the test calendars are in UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def policy_form(calendar: Any, /, **changes: Any) -> dict[str, Any]:
    """The fields of a valid policy form on ``calendar``, with ``changes``."""
    form = {
        "name": "Resolution",
        "kind": "resolution",
        "scope": "group",
        "calendar": str(calendar.id),
        "pause_reasons": ["awaiting_caller"],
        "warnings": "50, 75",
        "escalation": "none",
        "is_active": "on",
        **{f"target-{p}": str(60 * p) for p in range(1, 6)},
    }
    return form | changes


@pytest.fixture
def calendar_row(db) -> Any:
    """Builder: ``calendar_row(name=..., zone=..., week=...)`` → a committed SlaCalendar."""
    from app.sla.models import SlaCalendar

    def make(name: str | None = None, zone: str = "UTC", week: Any = None, **values: Any) -> Any:
        row = SlaCalendar(
            name=name or f"Office {uuid.uuid4().hex[:6]}", zone=zone, week=week or OFFICE, **values
        )
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def policy(db, calendar_row) -> Any:
    """Builder: ``policy(group, kind="resolution", targets={1: 60, ...})`` → a committed policy.

    Targets are minutes per priority; every priority of the default matrix gets one.
    """
    from app.sla.models import SlaPolicy

    def make(group: Any, calendar: Any = None, **values: Any) -> Any:
        values.setdefault("name", f"{group.name} {values.get('kind', 'resolution')}")
        values.setdefault("kind", "resolution")
        values.setdefault("scope", "ticket" if values["kind"] == "response" else "group")
        targets = {1: 240, 2: 240, 3: 240, 4: 480, 5: 960} | values.pop("targets", {})
        values["targets"] = {str(k): v for k, v in targets.items()}
        values.setdefault("pause_reasons", ["awaiting_caller", "awaiting_vendor"])
        values.setdefault("warnings", [50, 75])
        row = SlaPolicy(group_id=group.id, calendar=calendar or calendar_row(), **values)
        db.session.add(row)
        db.session.commit()
        return row

    return make
