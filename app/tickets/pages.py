"""What every ticket's working page shows (incidents and catalog tasks alike): the assignment
choices and the note on a stale edit."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.models import Group, User, group_members
from app.extensions import db
from app.tickets.models import EntryKind, JournalEntry, Ticket
from app.ui import format_datetime


def group_choices() -> list[SelectChoice]:
    queues = db.session.execute(
        select(Group.id, Group.name).where(Group.is_assignment_group).order_by(Group.name)
    ).all()
    return [SelectChoice("", _("— Unassigned —"))] + [SelectChoice(str(i), n) for i, n in queues]


def assignee_choices(group_id: int | None) -> list[SelectChoice]:
    """The active members of one queue (the page reloads them when the group changes). Their
    ids and names only: loading the people would load each one's roles too."""
    people = (
        db.session.execute(
            select(User.id, User.display_name)
            .join(group_members, group_members.c.user_id == User.id)
            .where(group_members.c.group_id == group_id, User.is_active)
            .order_by(User.display_name)
        ).all()
        if group_id
        else []
    )
    return [SelectChoice("", _("— Nobody yet —"))] + [
        SelectChoice(str(id_), name) for id_, name in people
    ]


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
