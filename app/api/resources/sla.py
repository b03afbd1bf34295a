"""``/api/v1/tickets/{number}/slas``: the SLA records of a ticket (any kind: incident, request,
item, task), with the time left on the business calendar, as the incident and task pages show
them to IT staff (``app.sla.summaries.sla_summaries``).

Agents read every ticket's; a service owner reads those of the tickets on the business
services they own: exactly the tickets their "My services" dashboard counts
(``app.reports.pages.reach``), so the API never shows them a ticket their pages do not. Any
other ticket is a 404 for them (its existence is not told)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.api import scopes
from app.api.auth import operation
from app.api.schemas import UTCDateTime
from app.api.spec import Blueprint
from app.auth.models import Role
from app.errors import NotFound
from app.extensions import db
from app.reports.pages.reach import reach_of
from app.reports.rollups.models import TicketFact
from app.sla.summaries import sla_summaries
from app.tickets.models import Ticket

AREA = scopes.add_area("sla", "SLA records of tickets: read")
READ = f"{AREA}:read"

blp = Blueprint("sla_api", __name__, description="The SLA records of a ticket.")


class SlaSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": "The policy's name"})
    kind = ma.fields.String(required=True, metadata={"description": "response or resolution"})
    group = ma.fields.String(required=True)
    stage = ma.fields.String(required=True)
    due_at = UTCDateTime(allow_none=True)
    seconds_left = ma.fields.Integer(
        allow_none=True, metadata={"description": "Business time left while running or paused"}
    )
    percentage = ma.fields.Float(required=True, metadata={"description": "Of the target used"})
    at_warning = ma.fields.Boolean(required=True)
    breached = ma.fields.Boolean(required=True)


@blp.route("/tickets/<number>/slas", methods=["GET"])
@operation("sla.view", READ)
@blp.response(200, SlaSchema(many=True))
def ticket_slas(number: str) -> Any:
    """The SLAs of the ticket's active policies (every stint, running or finished): agents
    for every ticket, service owners for the tickets on their services."""
    query = select(Ticket.id).where(Ticket.number == number.upper()[:20])
    if not current_user.has_role(Role.AGENT):
        # The dashboard's condition is on the ticket's report facts.
        query = query.join(TicketFact, TicketFact.ticket_id == Ticket.id).where(
            reach_of("services", current_user).condition()
        )
    ticket_id = db.session.scalar(query)
    if ticket_id is None:
        raise NotFound(_("There is no ticket with this number that you can see."))
    return [
        {
            "id": s.record_id,
            "name": s.name,
            "kind": s.kind,
            "group": s.group,
            "stage": s.stage,
            "due_at": s.due_at,
            "seconds_left": int(s.time_left.total_seconds()) if s.time_left is not None else None,
            "percentage": s.percentage,
            "at_warning": s.at_warning,
            "breached": s.breached,
        }
        for s in sla_summaries([ticket_id])[ticket_id]
    ]
