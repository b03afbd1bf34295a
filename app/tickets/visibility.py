"""The visibility filter that keeps lists and counts from leaking tickets a person may not see:
agents see every ticket, others those they called in, opened or watch (incidents, requests and
their items alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, select, union

from app.auth.models import Role
from app.tickets.models import Ticket, ticket_watchers


def own_ticket_ids(user_id: int) -> CompoundSelect:
    """Ids of the tickets a person called in, opened or watches: the union of three indexed
    lookups (an OR of the three conditions would defeat every index)."""
    return union(
        select(Ticket.id).where(Ticket.caller_id == user_id),
        select(Ticket.id).where(Ticket.opened_by_id == user_id),
        select(ticket_watchers.c.ticket_id).where(ticket_watchers.c.user_id == user_id),
    )


def visible_tickets(user: Any, query: Select) -> Select:
    """Restrict a query over tickets to those ``user`` may see."""
    if user.has_role(Role.AGENT):
        return query
    return query.where(Ticket.id.in_(own_ticket_ids(user.id)))
