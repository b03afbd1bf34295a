"""Create and edit business calendars and SLA policies: every rule checked at save time.

Input arrives as plain strings (a form's values); each function raises ``Invalid`` with
per-field messages, ``Conflict`` on a stale version, and flushes. The pure calendar and clock
definition are built before anything is saved, so a bad policy can never surface later as a
crash in the tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from app import audit
from app.auth.models import Group
from app.errors import Invalid, check_version
from app.extensions import db
from app.incidents.matrix import load_matrix
from app.incidents.workflow import HoldReason
from app.requests.models import CatalogItem
from app.sla.calendar import BusinessCalendar
from app.sla.models import Escalation, SlaCalendar, SlaKind, SlaPolicy, SlaScope
from app.sla.timeline import definition
from app.tickets.models import TicketKind

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TARGET_MINUTES = 60 * 24 * 366


def parse_day(text: str) -> list[list[str]]:
    """``"08:00-12:00, 13:00-17:00"`` → ``[["08:00", "12:00"], ["13:00", "17:00"]]``.

    :raise ValueError: a piece is not ``HH:MM-HH:MM``.
    """
    segments = []
    for piece in (text or "").replace(";", ",").split(","):
        piece = piece.strip().replace("–", "-")
        if not piece:
            continue
        start, sep, end = piece.partition("-")
        start, end = start.strip(), end.strip()
        if not sep or not _is_hhmm(start) or not _is_hhmm(end):
            raise ValueError(f"“{piece[:40]}” is not a range such as 08:00-12:00.")
        segments.append([start, end])
    return segments


def _is_hhmm(value: str) -> bool:
    hours, sep, minutes = value.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return False
    return (int(hours) < 24 and int(minutes) < 60) or value == "24:00"


_KIND_LABELS = {
    "incident": "Incidents only",
    "request": "Requests (REQ) only",
    "request_item": "Requested items (RITM) only",
    "catalog_task": "Catalog tasks (SCTASK) only",
}


def ticket_kind_choices() -> list[tuple[str, str]]:
    """``(value, label)`` for every kind of ticket a policy can be narrowed to."""
    return [
        (k.value, _KIND_LABELS.get(k.value, k.value.replace("_", " ").capitalize() + " only"))
        for k in TicketKind
    ]


ITEM_KINDS = (TicketKind.REQUEST_ITEM.value, TicketKind.CATALOG_TASK.value)


def catalog_item_choices(chosen: int | None = None) -> list[tuple[str, str]]:
    """``(value, label)`` of the catalog items a policy can be narrowed to: the active ones,
    plus ``chosen`` (a policy's current item) even when it has been deactivated since."""
    query = select(CatalogItem.id, CatalogItem.name, CatalogItem.is_active).order_by(
        CatalogItem.name
    )
    query = query.where(CatalogItem.is_active | (CatalogItem.id == (chosen or 0)))
    return [
        (str(row.id), row.name if row.is_active else f"{row.name} (no longer offered)")
        for row in db.session.execute(query)
    ]


def narrowing(policy: SlaPolicy) -> str:
    """The tickets a policy measures, in words: “Every ticket”, “Incidents only”, “Laptop:
    requested items and their tasks”, “Laptop: catalog tasks (SCTASK) only”."""
    kind = _KIND_LABELS.get(policy.ticket_kind or "", policy.ticket_kind or "")
    if policy.catalog_item_id is None:
        return kind or "Every ticket"
    item = policy.catalog_item.name if policy.catalog_item else f"Item {policy.catalog_item_id}"
    if not policy.ticket_kind:
        return f"{item}: requested items (RITM) and their tasks (SCTASK)"
    return f"{item}: {kind[0].lower()}{kind[1:]}"


def format_day(segments: list[list[str]]) -> str:
    return ", ".join(f"{s}-{e}" for s, e in segments)


def _text(values: Mapping[str, Any], field: str, limit: int, errors: dict, required=True) -> str:
    value = str(values.get(field) or "").strip()
    if required and not value:
        errors[field] = "This field is required."
    elif len(value) > limit or "\x00" in value:
        errors[field] = f"Keep it under {limit} characters, without control characters."
    return value


def calendar_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a calendar form and return the row's values.

    :raise Invalid: missing name, unknown zone or holiday country, bad or overlapping
        segments, bad closed dates, a week without working hours.
    """
    errors: dict[str, str] = {}
    name = _text(values, "name", 100, errors)
    zone = _text(values, "zone", 64, errors)
    country = _text(values, "country", 8, errors, required=False).upper() or None
    subdivision = _text(values, "subdivision", 16, errors, required=False).upper() or None
    week = []
    for day in DAYS:
        try:
            week.append(parse_day(str(values.get(day) or "")[:300]))
        except ValueError as error:
            errors[day] = str(error)
            week.append([])
    closed = []
    for piece in str(values.get("closed_dates") or "")[:5000].replace(",", "\n").split():
        try:
            closed.append(date.fromisoformat(piece.strip()).isoformat())
        except ValueError:
            errors["closed_dates"] = f"“{piece[:20]}” is not a date such as 2026-12-24."
    if not errors:
        try:
            BusinessCalendar(
                zone=zone,
                week=tuple(tuple(tuple(s) for s in day) for day in week),
                country=country,
                subdivision=subdivision,
                closed_dates=frozenset(date.fromisoformat(d) for d in closed),
            )
        except ValueError as error:
            message = str(error)
            field = "zone" if "time zone" in message else "week"
            if "holiday" in message or "subdivision" in message:
                field = "country"
            errors[field] = message[0].upper() + message[1:] + "."
    if errors:
        raise Invalid(errors)
    return {
        "name": name,
        "zone": zone,
        "country": country,
        "subdivision": subdivision,
        "week": week,
        "closed_dates": sorted(set(closed)),
    }


def save_calendar(
    calendar: SlaCalendar | None, values: Mapping[str, Any], *, actor: Any
) -> SlaCalendar:
    """Create (``calendar`` None) or update a calendar.

    :raise Invalid: see :func:`calendar_values`, or the name is taken.
    :raise Conflict: the calendar changed since the form's ``version``.
    """
    if calendar is not None:
        check_version(calendar, values.get("version"), f"Calendar {calendar.name}")
    clean = calendar_values(values)
    clash = db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == clean["name"]))
    if clash is not None and (calendar is None or clash != calendar.id):
        raise Invalid({"name": "Another calendar has this name."})
    before = _snapshot(calendar, clean) if calendar else {}
    if calendar is None:
        calendar = SlaCalendar(**clean)
        db.session.add(calendar)
    else:
        for key, value in clean.items():
            setattr(calendar, key, value)
    db.session.flush()
    audit.record(actor, "sla_calendar", calendar.id, "saved", audit.diff(before, clean))
    return calendar


def _snapshot(row: Any, keys: Mapping[str, Any]) -> dict[str, Any]:
    return {k: getattr(row, k) for k in keys}


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _listed(values: Any, field: str) -> list[str]:
    if hasattr(values, "getlist"):
        return [str(v) for v in values.getlist(field)]
    raw = values.get(field) or []
    return [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]


def policy_values(values: Any, *, group: Group, current_item: int | None = None) -> dict[str, Any]:
    """Check a policy form and return the row's values.

    Targets are minutes of business time, one per priority level of the matrix.
    ``current_item`` is the catalog item the policy is narrowed to now: it may be kept after
    it was deactivated, while a new narrowing needs an active item.

    :raise Invalid: a missing or non-positive target, an unknown calendar, kind, scope,
        hold reason or escalation, bad warning thresholds, a reassignment without a group,
        an unknown or retired catalog item, a catalog item with a kind of ticket that has none.
    """
    errors: dict[str, str] = {}
    name = _text(values, "name", 100, errors)
    choice = {
        "kind": [k.value for k in SlaKind],
        "scope": [s.value for s in SlaScope],
        "escalation": [e.value for e in Escalation],
    }
    picked = {}
    for field, allowed in choice.items():
        picked[field] = str(values.get(field) or "")
        if picked[field] not in allowed:
            errors[field] = f"Choose one of: {', '.join(allowed)}."
    if picked["kind"] == SlaKind.RESPONSE and picked["scope"] == SlaScope.GROUP:
        errors["scope"] = (
            "A response SLA measures the ticket's first response once: choose "
            f"“{SlaScope.TICKET.label}”."
        )
    ticket_kind = str(values.get("ticket_kind") or "") or None
    if ticket_kind not in (None, *(k.value for k in TicketKind)):
        errors["ticket_kind"] = "Choose a kind of ticket from the list."
    item = _catalog_item(values, current_item, errors)
    if item is not None and ticket_kind not in (None, *ITEM_KINDS):
        errors["ticket_kind"] = (
            f"“{item.name}” is a catalog item: a policy narrowed to it measures its requested "
            "items and their tasks. Choose “Every kind”, requested items or catalog tasks, "
            "or no catalog item."
        )
    calendar_id = _int(values.get("calendar"))
    calendar = db.session.get(SlaCalendar, calendar_id) if calendar_id else None
    if calendar is None:
        errors["calendar"] = "Choose a business calendar."
    levels = sorted(load_matrix().levels)
    targets = {}
    for level in levels:
        minutes = _int(values.get(f"target-{level}"))
        if minutes is None or not 0 < minutes <= MAX_TARGET_MINUTES:
            errors[f"target-{level}"] = (
                f"Give priority {level} a target of 1 to {MAX_TARGET_MINUTES} minutes."
            )
        else:
            targets[str(level)] = minutes
    reasons = sorted(set(_listed(values, "pause_reasons")))
    if set(reasons) - {r.value for r in HoldReason}:
        errors["pause_reasons"] = "Choose hold reasons from the list."
    starts = sorted({_int(p) for p in _listed(values, "start_priorities")} - {None})
    if len(starts) != len(set(_listed(values, "start_priorities"))) or set(starts) - set(levels):
        errors["start_priorities"] = "Choose priorities from the list."
    warnings = []
    for piece in str(values.get("warnings") or "")[:100].replace(";", ",").split(","):
        if piece.strip():
            number = _int(piece.strip().rstrip("%"))
            if number is None or not 0 < number < 100:
                errors["warnings"] = "Warnings are percentages between 1 and 99, e.g. 50, 75."
            else:
                warnings.append(number)
    escalation_group = None
    if picked["escalation"] == Escalation.REASSIGN:
        gid = _int(values.get("escalation_group"))
        escalation_group = db.session.get(Group, gid) if gid else None
        if escalation_group is None or not escalation_group.is_assignment_group:
            errors["escalation_group"] = "Choose the assignment group to reassign to."
        elif escalation_group.id == group.id:
            errors["escalation_group"] = "Reassign to another group than the policy's own."
    if errors:
        raise Invalid(errors)
    clean = {
        "name": name,
        "kind": SlaKind(picked["kind"]),
        "scope": SlaScope(picked["scope"]),
        "ticket_kind": ticket_kind,
        "catalog_item_id": item.id if item else None,
        "calendar_id": calendar.id,
        "targets": targets,
        "pause_reasons": reasons,
        "start_priorities": starts,
        "retroactive_start": str(values.get("retroactive_start") or "") in ("1", "on", "y", "true"),
        "warnings": sorted(set(warnings)),
        "escalation": Escalation(picked["escalation"]),
        "escalation_group_id": escalation_group.id if escalation_group else None,
        "is_active": str(values.get("is_active") or "") in ("1", "on", "y", "true"),
    }
    definition(SlaPolicy(**clean))  # the pure core's own checks, before anything is saved
    return clean


def _catalog_item(values: Any, current: int | None, errors: dict) -> CatalogItem | None:
    raw = str(values.get("catalog_item") or "").strip()
    if not raw:
        return None
    ident = _int(raw)
    item = db.session.get(CatalogItem, ident) if ident else None
    if item is None:
        errors["catalog_item"] = "Choose a catalog item from the list."
    elif not item.is_active and item.id != current:
        errors["catalog_item"] = f"“{item.name}” is no longer offered: choose an active item."
        return None
    return item


def save_policy(
    policy: SlaPolicy | None, values: Any, *, group: Group, actor: Any, refresh: bool = True
) -> SlaPolicy:
    """Create (``policy`` None) or update a policy of ``group``; then recompute the records of
    the queue's tickets so reports follow the new rules.

    :raise Invalid: see :func:`policy_values`, or the queue has a policy of that name.
    :raise Conflict: the policy changed since the form's ``version``.
    """
    if policy is not None:
        check_version(policy, values.get("version"), f"Policy {policy.name}")
    clean = policy_values(
        values, group=group, current_item=policy.catalog_item_id if policy else None
    )
    clash = db.session.scalar(
        select(SlaPolicy.id).where(SlaPolicy.group_id == group.id, SlaPolicy.name == clean["name"])
    )
    if clash is not None and (policy is None or clash != policy.id):
        raise Invalid({"name": "This queue already has a policy with this name."})
    before = _snapshot(policy, clean) if policy else {}
    if policy is None:
        policy = SlaPolicy(group_id=group.id, **clean)
        db.session.add(policy)
    else:
        for key, value in clean.items():
            setattr(policy, key, value)
    db.session.flush()
    audit.record(actor, "sla_policy", policy.id, "saved", audit.diff(before, clean))
    if refresh:
        from app.sla.services import refresh_group

        refresh_group(group.id)
    return policy
