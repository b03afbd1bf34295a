"""Incident workflow settings administrators change (the one-row ``incident_settings``).

Today one choice: whether assigning a new incident to a person moves it to In progress.
Saving is audited (object type ``incident_settings``). Services flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from app import audit
from app.errors import check_version
from app.extensions import db
from app.incidents.models import IncidentSettings

SETTINGS_ID = 1


def current_settings() -> IncidentSettings:
    """The settings row; a transient one with the defaults if the row is missing."""
    row = db.session.get(IncidentSettings, SETTINGS_ID)
    if row is None:  # pragma: no cover - the migration seeds the row
        row = IncidentSettings(id=SETTINGS_ID, assignment_starts_work=True, version=1)
    return row


def assignment_starts_work() -> bool:
    return bool(current_settings().assignment_starts_work)


def save_settings(
    *, actor: Any, assignment_starts_work: bool, expected_version: Any = None
) -> dict[str, list[Any]]:
    """Save the workflow choices.

    :raise Conflict: the settings changed since the form was loaded.
    :return: the changes as ``{field: [old, new]}`` (empty when nothing changed).
    """
    row = current_settings()
    check_version(row, expected_version, "The incident settings")
    changes = audit.diff(
        {"assignment_starts_work": bool(row.assignment_starts_work)},
        {"assignment_starts_work": bool(assignment_starts_work)},
    )
    if not changes:
        return {}
    row.assignment_starts_work = bool(assignment_starts_work)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "incident_settings", SETTINGS_ID, "updated", changes)
    return changes
