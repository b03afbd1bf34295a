"""What every ticket's working page shows (incidents and catalog tasks alike): the assignment
choices and the note on a stale edit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from wtforms import SelectChoice

from app.auth.models import Group, User, group_members
from app.extensions import db
from app.i18n.words import gettext as _
from app.tickets.models import EntryKind, JournalEntry, Ticket
from app.ui import format_datetime


def assignment_groups() -> Select[int, str]:
    """The queues' ids and names (unordered: a caller orders them, or reads them in a union)."""
    return select(Group.id, Group.name).where(Group.is_assignment_group)


def active_members(group_id: int | ColumnElement[int]) -> Select[int, str]:
    """The ids and names of one queue's active members (unordered, like :func:`assignment_groups`).
    Their ids and names only: loading the people would load each one's roles too."""
    return (
        select(User.id, User.display_name)
        .join(group_members, group_members.c.user_id == User.id)
        .where(group_members.c.group_id == group_id, User.is_active)
    )


def group_options(rows: Iterable[tuple[int | str, str]]) -> list[SelectChoice]:
    return [SelectChoice("", _("— Unassigned —"))] + [SelectChoice(str(i), n) for i, n in rows]


def assignee_options(rows: Iterable[tuple[int | str, str]]) -> list[SelectChoice]:
    return [SelectChoice("", _("— Nobody yet —"))] + [SelectChoice(str(i), n) for i, n in rows]


def group_choices() -> list[SelectChoice]:
    return group_options(db.session.execute(assignment_groups().order_by(Group.name)))


def assignee_choices(group_id: int | None) -> list[SelectChoice]:
    """The active members of one queue (the page reloads them when the group changes)."""
    if not group_id:
        return assignee_options([])
    return assignee_options(
        db.session.execute(active_members(group_id).order_by(User.display_name))
    )


def latest_change_by_someone_else(ticket: Ticket, user: Any) -> str:
    """ "Ann Lee changed short description, priority at 14:02": for a conflict message."""
    entry = db.session.scalar(
        select(JournalEntry)
        .where(
            JournalEntry.ticket_id == ticket.id,
            JournalEntry.kind == EntryKind.CHANGE,
            JournalEntry.author_id != user.id,
        )
        .order_by(JournalEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return ""
    who = entry.author.display_name if entry.author else "Someone"
    fields = ", ".join(f.replace("_", " ") for f in entry.changes)
    return f"{who} changed {fields} ({format_datetime(entry.created_at)})."
