"""Create and edit business calendars and SLA policies: every rule checked at save time.

Input arrives typed (:class:`CalendarInput`, :class:`PolicyInput`; :mod:`app.sla.forms` reads
them from the editors); each function raises ``Invalid`` with per-field messages for the rules
that need the database or the calendar engine, ``Conflict`` on a stale version, and flushes.
The pure calendar and clock definition are built before anything is saved, so a bad policy can
never surface later as a crash in the tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.auth.models import Group
from app.errors import Invalid, check_version
from app.extensions import db
from app.i18n import N_
from app.sla import signals
from app.sla.calendar import BusinessCalendar
from app.sla.models import Escalation, SlaCalendar, SlaKind, SlaPolicy, SlaScope
from app.sla.timeline import definition
from app.tickets.holds import HoldReason
from app.tickets.matrix import load_matrix
from app.tickets.models import TicketKind

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TARGET_MINUTES = 60 * 24 * 366


@dataclass(frozen=True)
class CalendarInput:
    """A calendar as the form read it: ``week`` is seven days (Monday first) of
    ``["HH:MM", "HH:MM"]`` ranges."""

    name: str
    zone: str
    week: list[list[list[str]]]
    country: str | None = None
    subdivision: str | None = None
    closed_dates: list[date] = field(default_factory=list)
    include_eves: bool = False


@dataclass(frozen=True)
class PolicyInput:
    """A policy as the form read it: ``targets`` are minutes of business time per priority
    level; ids name rows this module checks."""

    name: str
    kind: SlaKind
    scope: SlaScope
    calendar_id: int | None
    targets: dict[int, int]
    ticket_kind: str | None = None
    catalog_item_id: int | None = None
    pause_reasons: list[str] = field(default_factory=list)
    start_priorities: list[int] = field(default_factory=list)
    retroactive_start: bool = False
    warnings: list[int] = field(default_factory=list)
    escalation: Escalation = Escalation.NONE
    escalation_group_id: int | None = None
    is_active: bool = True


_KIND_LABELS = {
    "incident": N_("Incidents only"),
    "request": N_("Requests (REQ) only"),
    "request_item": N_("Requested items (RITM) only"),
    "catalog_task": N_("Catalog tasks (SCTASK) only"),
}


def ticket_kind_choices() -> list[tuple[str, str]]:
    """``(value, label)`` for every kind of ticket a policy can be narrowed to."""
    return [
        (k.value, _(_KIND_LABELS[k.value]) if k.value in _KIND_LABELS else k.value)
        for k in TicketKind
    ]


ITEM_KINDS = (TicketKind.REQUEST_ITEM.value, TicketKind.CATALOG_TASK.value)


def catalog_item_choices(chosen: int | None = None) -> list[tuple[str, str]]:
    """``(value, label)`` of the catalog items a policy can be narrowed to: the active ones,
    plus ``chosen`` (a policy's current item) even when it has been deactivated since."""
    return [
        (
            str(item.id),
            item.name if item.is_active else _("%(name)s (no longer offered)", name=item.name),
        )
        for item in _catalog_items(active=True, ids=[chosen] if chosen else [])
    ]


def _catalog_items(*, active: bool, ids: list[int]) -> list[Any]:
    """The catalog's answer to :data:`signals.catalog_items`."""
    answers = signals.catalog_items.send(None, active=active, ids=ids)
    return [item for _, items in answers for item in items]


def narrowing(policy: SlaPolicy) -> str:
    """The tickets a policy measures, in words: “Every ticket”, “Incidents only”, “Laptop:
    requested items and their tasks”, “Laptop: catalog tasks (SCTASK) only”."""
    label = _KIND_LABELS.get(policy.ticket_kind or "")
    kind = _(label) if label else policy.ticket_kind or ""
    if policy.catalog_item_id is None:
        return kind or _("Every ticket")
    item = (
        policy.catalog_item.name
        if policy.catalog_item
        else _("Item %(id)s", id=policy.catalog_item_id)
    )
    if not policy.ticket_kind:
        return _("%(item)s: requested items (RITM) and their tasks (SCTASK)", item=item)
    lowered = kind[0].lower() + kind[1:]
    return _("%(item)s: %(kind)s", item=item, kind=lowered)


def format_day(segments: list[list[str]]) -> str:
    return ", ".join(f"{s}-{e}" for s, e in segments)


def calendar_values(values: CalendarInput) -> dict[str, Any]:
    """Check a calendar and return the row's values.

    :raise Invalid: an unknown zone or holiday country, overlapping or reversed hours, a week
        without working hours.
    """
    try:
        BusinessCalendar(
            zone=values.zone,
            week=tuple(tuple(tuple(s) for s in day) for day in values.week),
            country=values.country,
            subdivision=values.subdivision,
            closed_dates=frozenset(values.closed_dates),
            include_eves=values.include_eves,
        )
    except ValueError as error:
        message = str(error)
        where = "zone" if "time zone" in message else "week"
        if "holiday" in message or "subdivision" in message:
            where = "include_eves" if "eves" in message else "country"
        raise Invalid({where: message[0].upper() + message[1:] + "."}) from None
    return {
        "name": values.name,
        "zone": values.zone,
        "country": values.country,
        "subdivision": values.subdivision,
        "week": [list(day) for day in values.week],
        "closed_dates": sorted({d.isoformat() for d in values.closed_dates}),
        "include_eves": values.include_eves,
    }


def save_calendar(
    calendar: SlaCalendar | None,
    values: CalendarInput,
    *,
    actor: Any,
    version: object = None,
) -> SlaCalendar:
    """Create (``calendar`` None) or update a calendar; ``version`` is the one the edit
    started from.

    :raise Invalid: see :func:`calendar_values`, or the name is taken.
    :raise Conflict: the calendar changed since ``version``.
    """
    if calendar is not None:
        check_version(calendar, version, f"Calendar {calendar.name}")
    clean = calendar_values(values)
    clash = db.session.scalar(select(SlaCalendar.id).where(SlaCalendar.name == clean["name"]))
    if clash is not None and (calendar is None or clash != calendar.id):
        raise Invalid({"name": _("Another calendar has this name.")})
    return _saved(calendar, clean, "sla_calendar", actor, lambda: SlaCalendar(**clean))


def _saved(row: Any, clean: dict[str, Any], kind: str, actor: Any, create: Any) -> Any:
    """Create the row (``create()``) or update it with ``clean``, flush and audit."""
    before = {k: getattr(row, k) for k in clean} if row is not None else {}
    if row is None:
        row = create()
        db.session.add(row)
    else:
        for key, value in clean.items():
            setattr(row, key, value)
    db.session.flush()
    audit.record(actor, kind, row.id, "saved", audit.diff(before, clean))
    return row


def policy_values(
    values: PolicyInput, *, group: Group, current_item: int | None = None
) -> dict[str, Any]:
    """Check a policy of ``group`` and return the row's values.

    Targets are minutes of business time, one per priority level of the matrix.
    ``current_item`` is the catalog item the policy is narrowed to now: it may be kept after
    it was deactivated, while a new narrowing needs an active item.

    :raise Invalid: a missing or out-of-range target, an unknown calendar, a per-stint response
        SLA, a reassignment without a group, an unknown or retired catalog item, a catalog item
        with a kind of ticket that has none, an unknown hold reason or priority.
    """
    errors: dict[str, str] = {}
    if values.kind == SlaKind.RESPONSE and values.scope == SlaScope.GROUP:
        errors["scope"] = _(
            "A response SLA measures the ticket's first response once: choose “%(scope)s”.",
            scope=_(SlaScope.TICKET.label),
        )
    if values.ticket_kind not in (None, *(k.value for k in TicketKind)):
        errors["ticket_kind"] = _("Choose a kind of ticket from the list.")
    item = _catalog_item(values.catalog_item_id, current_item, errors)
    if item is not None and values.ticket_kind not in (None, *ITEM_KINDS):
        errors["ticket_kind"] = _(
            "“%(name)s” is a catalog item: a policy narrowed to it measures its requested "
            "items and their tasks. Choose “Every kind”, requested items or catalog tasks, "
            "or no catalog item.",
            name=item.name,
        )
    calendar = _row(SlaCalendar, values.calendar_id)
    if calendar is None:
        errors["calendar"] = _("Choose a business calendar.")
    levels = sorted(load_matrix().levels)
    for level in levels:
        if not 0 < values.targets.get(level, 0) <= MAX_TARGET_MINUTES:
            errors[f"target-{level}"] = _(
                "Give priority %(level)s a target of 1 to %(max)s minutes.",
                level=level,
                max=MAX_TARGET_MINUTES,
            )
    if set(values.pause_reasons) - {r.value for r in HoldReason}:
        errors["pause_reasons"] = _("Choose hold reasons from the list.")
    if set(values.start_priorities) - set(levels):
        errors["start_priorities"] = _("Choose priorities from the list.")
    escalation_group = None
    if values.escalation == Escalation.REASSIGN:
        escalation_group = _row(Group, values.escalation_group_id)
        if escalation_group is None or not escalation_group.is_assignment_group:
            errors["escalation_group"] = _("Choose the assignment group to reassign to.")
        elif escalation_group.id == group.id:
            errors["escalation_group"] = _("Reassign to another group than the policy's own.")
    if errors or calendar is None:
        raise Invalid(errors)
    clean = {
        "name": values.name,
        "kind": values.kind,
        "scope": values.scope,
        "ticket_kind": values.ticket_kind,
        "catalog_item_id": item.id if item else None,
        "calendar_id": calendar.id,
        "targets": {str(level): values.targets[level] for level in levels},
        "pause_reasons": sorted(set(values.pause_reasons)),
        "start_priorities": sorted(set(values.start_priorities)),
        "retroactive_start": values.retroactive_start,
        "warnings": sorted(set(values.warnings)),
        "escalation": values.escalation,
        "escalation_group_id": escalation_group.id if escalation_group else None,
        "is_active": values.is_active,
    }
    definition(SlaPolicy(**clean))  # the pure core's own checks, before anything is saved
    return clean


def _row(model: Any, ident: int | None) -> Any:
    return db.session.get(model, ident) if ident and 0 < ident < 2**31 else None


def _catalog_item(ident: int | None, current: int | None, errors: dict) -> Any:
    if ident is None:
        return None
    found = _catalog_items(active=False, ids=[ident]) if 0 < ident < 2**31 else []
    item = found[0] if found else None
    if item is None:
        errors["catalog_item"] = _("Choose a catalog item from the list.")
    elif not item.is_active and item.id != current:
        errors["catalog_item"] = _(
            "“%(name)s” is no longer offered: choose an active item.", name=item.name
        )
        return None
    return item


def save_policy(
    policy: SlaPolicy | None,
    values: PolicyInput,
    *,
    group: Group,
    actor: Any,
    version: object = None,
    refresh: bool = True,
) -> SlaPolicy:
    """Create (``policy`` None) or update a policy of ``group``; then recompute the records of
    the queue's tickets so reports follow the new rules. ``version`` is the one the edit
    started from.

    :raise Invalid: see :func:`policy_values`, or the queue has a policy of that name.
    :raise Conflict: the policy changed since ``version``.
    """
    if policy is not None:
        check_version(policy, version, f"Policy {policy.name}")
    clean = policy_values(
        values, group=group, current_item=policy.catalog_item_id if policy else None
    )
    clash = db.session.scalar(
        select(SlaPolicy.id).where(SlaPolicy.group_id == group.id, SlaPolicy.name == clean["name"])
    )
    if clash is not None and (policy is None or clash != policy.id):
        raise Invalid({"name": _("This queue already has a policy with this name.")})
    policy = _saved(
        policy, clean, "sla_policy", actor, lambda: SlaPolicy(group_id=group.id, **clean)
    )
    if refresh:
        from app.sla.services import refresh_group

        refresh_group(group.id)
    return policy
