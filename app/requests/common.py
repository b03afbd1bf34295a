"""Small helpers the request services share: state changes with their journal
entry and domain event, the people a lookup may name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select

from app.auth.models import Role, RoleGrant, User
from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.requests.catalog.ci_offers import offered
from app.requests.catalog.variables import Variable, VariableType
from app.tickets import services as tickets
from app.tickets.models import EntryKind, Ticket, TicketKind

T = TypeVar("T", bound=Ticket)

MAX_TEXT = 20_000


def is_staff(user: Any) -> bool:
    return user is not None and user.has_role(Role.AGENT)


def note(
    ticket: Ticket, actor: Any, body: str | Mapping[str, Any], at: datetime, **changes: list[Any]
) -> None:
    """A field-change line on the ticket's timeline (internal unless it changes the state);
    ``body``: people's words, or a stored message (:mod:`app.i18n.stored`) the desk words."""
    tickets.add_entry(ticket, EntryKind.CHANGE, actor, body=body, changes=changes, at=at)


def set_state(
    ticket: Ticket,
    new: str,
    actor: Any,
    at: datetime,
    *,
    body: str | Mapping[str, Any] = "",
    **data: Any,
) -> None:
    """Move ``ticket`` to ``new``: the journal shows it to everyone who sees the ticket, and the
    ``state_changed`` event (the SLA clock's input) carries ``data`` (close code, reason…)."""
    old = ticket.state
    ticket.state = new
    if new in ("closed", "canceled"):
        ticket.closed_at = at
    note(ticket, actor, body, at, state=[old, new])
    tickets.record_event(ticket, "state_changed", actor, at=at, old=old, new=new, **data)


def open_ticket(model: type[T], kind: TicketKind, actor: Any, at: datetime, **fields: Any) -> T:
    """Number, add and flush a new request, item or task, and record its ``created`` event
    (with the priority and channel the SLA clock starts from)."""
    ticket = model(kind=kind, number=tickets.next_number(kind.prefix), opened_at=at, **fields)
    db.session.add(ticket)
    db.session.flush()
    tickets.record_event(
        ticket, "created", actor, at=at, priority=ticket.priority, channel=ticket.channel.value
    )
    return ticket


def active_user(user_id: Any) -> User | None:
    try:
        ident = int(user_id)
    except (TypeError, ValueError):
        return None
    user = db.session.get(User, ident)
    return user if user is not None and user.is_active else None


def administrators() -> list[int]:
    """Ids of the active administrators."""
    return list(
        db.session.scalars(
            select(User.id)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.ADMIN, User.is_active)
            .order_by(User.id)
            .distinct()
        )
    )


def lookup(variable: Variable, ident: int) -> str | None:
    """The ``variables.Lookup`` over the database: an active person's name, or the name of a
    CI the variable offers (see ``ci_offers``)."""
    if variable.type == VariableType.PERSON:
        user = active_user(ident)
        return user.display_name if user else None
    if variable.type != VariableType.CI or not -(2**62) < ident < 2**62:
        return None
    ci = db.session.scalar(offered(variable).where(ConfigurationItem.id == ident))
    return ci.name if ci is not None else None
