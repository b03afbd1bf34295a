"""Small counts for the home page and dashboards, each in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from app.extensions import db
from app.incidents.workflow import OPEN_STATES
from app.tickets.models import Ticket, TicketKind
from app.tickets.visibility import own_ticket_ids

OPEN = [s.value for s in OPEN_STATES]


def queue_counts(group_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Open and unassigned-open incidents per assignment group."""
    if not group_ids:
        return {}
    rows = db.session.execute(
        select(
            Ticket.assignment_group_id,
            func.count(),
            func.sum(case((Ticket.assignee_id.is_(None), 1), else_=0)),
        )
        .where(
            Ticket.kind == TicketKind.INCIDENT,
            Ticket.state.in_(OPEN),
            Ticket.assignment_group_id.in_(group_ids),
        )
        .group_by(Ticket.assignment_group_id)
    )
    return {group: (int(total), int(unassigned or 0)) for group, total, unassigned in rows}


def personal_counts(user: Any) -> dict[str, int]:
    """Open incidents assigned to the user, and open tickets the user reported or follows."""
    open_incidents = select(func.count()).where(
        Ticket.kind == TicketKind.INCIDENT, Ticket.state.in_(OPEN)
    )
    assigned = db.session.scalar(open_incidents.where(Ticket.assignee_id == user.id))
    mine = db.session.scalar(open_incidents.where(Ticket.id.in_(own_ticket_ids(user.id))))
    return {"assigned": int(assigned or 0), "my_open": int(mine or 0)}
