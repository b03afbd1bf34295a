"""Ticket core services shared by every kind of ticket: numbers, journal, events, watchers.

Services flush and never commit; the caller (view, CLI, job) commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, Table, Update, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload

from app.auth.models import User
from app.errors import Invalid
from app.extensions import db
from app.i18n.stored import english, is_stored
from app.tickets.models import EntryKind, JournalEntry, NumberCounter, Ticket, TicketEvent
from app.timeutils import utc_now

NUMBER_START = 1000


def checked_text(field: str, value: str | None, *, required: bool, limit: int) -> str:
    """``value`` stripped, for a ticket's text field ``field`` (a description, a reply, a
    reason). :raise Invalid: empty when ``required``, or longer than ``limit``."""
    value = (value or "").strip()
    if required and not value:
        raise Invalid({field: _("This field is required.")})
    if len(value) > limit:
        raise Invalid({field: _("Keep it under %(limit)s characters.", limit=limit)})
    return value


def next_number(prefix: str) -> str:
    """The next ticket number for ``prefix``: ``INC0001001``, ``INC0001002``…"""
    return reserve_numbers(prefix, 1)[0]


def reserve_numbers(prefix: str, count: int) -> list[str]:
    """The next ``count`` consecutive ticket numbers for ``prefix`` (an import reserves its
    incidents' numbers at once).

    One counter row per prefix is moved on with ``UPDATE … RETURNING``: the row lock (or
    SQLite's write lock) serialises concurrent creators, so numbers are unique. A rolled-back
    transaction gives its numbers back; a gap can only appear if a ticket is removed.
    """
    if count < 1:
        return []
    values = {"counter": prefix, "step": count}
    last = db.session.execute(_increment(), values).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(NumberCounter).values(prefix=prefix, last_value=NUMBER_START + count)
                )
            last = NUMBER_START + count
        except IntegrityError:  # another transaction created the counter first
            last = db.session.execute(_increment(), values).scalar_one()
    return [f"{prefix}{value:07d}" for value in range(last - count + 1, last + 1)]


@cache
def _increment() -> Update:
    """:func:`reserve_numbers`' ``UPDATE``, built once, on the table (no counter is ever loaded
    as an object, so the ORM's bulk update has nothing to keep in step: it only cost time at
    every ticket opened)."""
    counters = cast(Table, NumberCounter.__table__)
    return (
        update(counters)
        .where(counters.c.prefix == bindparam("counter", type_=counters.c.prefix.type))
        .values(last_value=counters.c.last_value + bindparam("step", type_=Integer))
        .returning(counters.c.last_value)
    )


def record_event(
    ticket: Ticket, type_: str, actor: Any, *, at: datetime | None = None, **data: Any
) -> TicketEvent:
    """Record a domain event once, in the current transaction."""
    event = TicketEvent(
        ticket_id=ticket.id,
        type=type_,
        actor_id=getattr(actor, "id", None),
        data=data,
        created_at=at or utc_now(),
    )
    db.session.add(event)
    return event


def add_entry(
    ticket: Ticket,
    kind: EntryKind,
    author: Any,
    body: str | Mapping[str, Any] = "",
    changes: Mapping[str, list[Any]] | None = None,
    *,
    at: datetime | None = None,
) -> JournalEntry:
    """Append a reply, a work note or a field-change entry to the ticket's timeline. A
    ``body`` the desk words is a stored message (:func:`app.i18n.stored.stored`): the entry
    keeps it for its readers' languages and its English as the body."""
    message = dict(body) if isinstance(body, Mapping) and is_stored(body) else None
    entry = JournalEntry(
        ticket_id=ticket.id,
        kind=kind,
        author_id=getattr(author, "id", None),
        body=english(body) if message else str(body),
        changes=dict(changes or {}),
        message=message,
        created_at=at or utc_now(),
    )
    db.session.add(entry)
    return entry


def assignment_problems(group: Any, assignee: Any) -> dict[str, str]:
    """Why ``group`` and ``assignee`` cannot take a ticket, per field (empty: they can)."""
    if group is not None and not group.is_assignment_group:
        return {"group": _("%(group)s is not an assignment group.", group=group.name)}
    if assignee is not None:
        if group is None:
            return {"group": _("Choose the group the person works in.")}
        if not assignee.is_active or assignee not in group.members:
            message = _(
                "%(person)s is not in %(group)s.", person=assignee.display_name, group=group.name
            )
            return {"assignee": message}
    return {}


def assign(
    ticket: Ticket,
    *,
    group: Any,
    assignee: Any,
    actor: Any,
    now: datetime | None = None,
) -> dict[str, list[Any]]:
    """Assign any ticket to a group and optionally a person in it: moving from one group to
    another counts a reassignment; the change goes on the timeline with an ``assigned`` event.

    :raise Invalid: the group is not an assignment group, or the person is not in it.
    :return: the changes (``{field: [old, new]}``), empty when nothing changed.
    """
    problems = assignment_problems(group, assignee)
    if problems:
        raise Invalid(problems)
    changes: dict[str, list[Any]] = {}
    old_group, old_assignee = ticket.assignment_group, ticket.assignee
    if (old_group.id if old_group else None) != (group.id if group else None):
        changes["assignment_group"] = [
            old_group.name if old_group else None,
            group.name if group else None,
        ]
        if old_group is not None:
            ticket.reassignment_count += 1
        ticket.assignment_group = group
    if (old_assignee.id if old_assignee else None) != (assignee.id if assignee else None):
        changes["assignee"] = [
            old_assignee.display_name if old_assignee else None,
            assignee.display_name if assignee else None,
        ]
        ticket.assignee = assignee
    if changes:
        add_entry(ticket, EntryKind.CHANGE, actor, changes=changes, at=now)
        record_event(
            ticket,
            "assigned",
            actor,
            at=now,
            group_id=group.id if group else None,
            assignee_id=assignee.id if assignee else None,
        )
        db.session.flush()
    return changes


def timeline(ticket: Ticket, *, public_only: bool, newest_first: bool) -> list[JournalEntry]:
    """The ticket's journal in one query (of each author, joined, only what a timeline
    shows: id, username and name; their other columns and roles are read if asked for);
    employees get replies and state changes only."""
    query = _timeline_statement(public_only=public_only, newest_first=newest_first)
    entries = list(db.session.scalars(query, {"ticket_id": ticket.id}))
    if public_only:
        entries = [e for e in entries if e.kind == EntryKind.REPLY or "state" in e.changes]
    return entries


@cache
def _timeline_statement(*, public_only: bool, newest_first: bool) -> Select[JournalEntry]:
    """:func:`timeline`'s statement, built once per shape (the ticket is a parameter)."""
    query = (
        select(JournalEntry)
        .options(
            defaultload(JournalEntry.author).load_only(User.id, User.username, User.display_name)
        )
        .where(JournalEntry.ticket_id == bindparam("ticket_id", type_=Integer))
    )
    if public_only:
        query = query.where(JournalEntry.kind != EntryKind.WORK_NOTE)
    order = (JournalEntry.created_at.desc(), JournalEntry.id.desc())
    if not newest_first:
        order = (JournalEntry.created_at.asc(), JournalEntry.id.asc())
    return query.order_by(*order)


def watch(ticket: Ticket, user: Any) -> bool:
    if user in ticket.watchers:
        return False
    ticket.watchers.append(user)
    return True


def unwatch(ticket: Ticket, user: Any) -> bool:
    if user not in ticket.watchers:
        return False
    ticket.watchers.remove(user)
    return True
