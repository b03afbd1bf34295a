"""What the history of a CI says about a change, written one entry at a time by the services or
many at once by bulk loaders (the demo estate), with the same content either way.

A CI's history is its audit trail (``audit_events``, object type ``ci``). The services build the
``changes`` of each entry with the functions here and write it with ``app.audit.record``; a
loader creating thousands of CIs builds the same entries and writes them with
:func:`record_many`, one multi-row ``INSERT`` instead of one ORM object per entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import insert

from app.audit import AuditEvent
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.timeutils import utc_now

OBJECT_TYPE = "ci"

#: Why a change was made when not by hand: a stored message (:mod:`app.i18n.stored`, worded in
#: the reader's language on the CI's page), or a text as a person typed it (kept as it is).
Reason: TypeAlias = str | Mapping[str, Any] | None


def jsonable(value: Any) -> Any:
    """A field or attribute value as it is kept in the history (dates as ISO text, decimals as
    text, plain JSON values as they are)."""
    if isinstance(value, date):
        return value.isoformat()
    if value is not None and not isinstance(value, str | int | bool):
        return str(value)
    return value


def with_reason(changes: dict[str, Any], reason: Reason) -> dict[str, Any]:
    """The changes, with why they were made when not by hand (e.g. an import)."""
    if not reason:
        return changes
    return {**changes, "reason": reason if isinstance(reason, str) else dict(reason)}


def import_reason(name: str) -> dict[str, Any]:
    """The reason of changes an import of the file ``name`` made, as a stored message."""
    return stored(N_("import of %(name)s"), name=name)


def created(
    snapshot: Mapping[str, Any],
    class_name: str,
    attribute_changes: Mapping[str, list[Any]] | None = None,
    reason: Reason = None,
) -> dict[str, Any]:
    """The ``created`` entry of a new CI: its non-empty fields (``snapshot`` as
    ``app.cmdb.services.snapshot`` gives them), its class and its attribute values."""
    changes: dict[str, Any] = {k: [None, v] for k, v in snapshot.items() if v not in (None, "", 0)}
    changes["class"] = [None, class_name]
    changes.update(attribute_changes or {})
    return with_reason(changes, reason)


def new_values(names: Mapping[int, str], values: Mapping[int, Any]) -> dict[str, list[Any]]:
    """The attribute part of a new CI's entry: ``{"attr:<name>": [None, value]}`` for each
    value given (``names`` maps attribute definition ids to names)."""
    return {
        f"attr:{names[definition_id]}": [None, jsonable(value)]
        for definition_id, value in values.items()
        if value is not None
    }


def relation_entries(
    action: str,
    source: tuple[int, str],
    target: tuple[int, str],
    relation_type: Any,
    reason: Reason = None,
) -> list[tuple[int, dict[str, Any]]]:
    """The two entries a relation change leaves, one on each CI, as ``(ci_id, changes)``.

    ``source`` and ``target`` are ``(id, name)``; ``relation_type`` has ``name``, ``forward``
    and ``reverse``; ``action`` is ``relation_added`` or ``relation_removed``.
    """
    added = action == "relation_added"
    entries = []
    for ci_id, text in (
        (source[0], f"{relation_type.forward} {target[1]}"),
        (target[0], f"{relation_type.reverse} {source[1]}"),
    ):
        changes = {
            "relation": [None, text] if added else [text, None],
            "relation_type": relation_type.name,
            "source_id": source[0],
            "target_id": target[0],
        }
        entries.append((ci_id, with_reason(changes, reason)))
    return entries


def record_many(actor: Any, action: str, entries: Iterable[tuple[int, Mapping[str, Any]]]) -> int:
    """Write one history entry per ``(ci_id, changes)`` in bulk (flushes nothing else; the
    caller commits). Returns how many were written."""
    now = utc_now()
    actor_id = getattr(actor, "id", None)
    rows = [
        {
            "created_at": now,
            "actor_id": actor_id,
            "object_type": OBJECT_TYPE,
            "object_id": ci_id,
            "action": action,
            "changes": dict(changes),
        }
        for ci_id, changes in entries
    ]
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    return len(rows)
