"""``/api/v1/incidents``: the worked example of an API resource.

Lists use the agent console's filters (``app.incidents.filters``) narrowed by the visibility
query (an employee's token lists what the employee sees in the pages); reads and writes load
the incident as the pages do (``get_incident``: one the caller may not see is a 404) and call
the incident services, so every rule is the pages' rule.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.api import etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.schemas import GroupRef, Input, PersonRef, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.auth.models import Role
from app.errors import Invalid, NotFound
from app.extensions import db
from app.incidents import permissions
from app.incidents.filters import SORTS, VIEWS, QueueFilterForm, load_page, queue_ids
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import State
from app.search import query as search_query
from app.tickets.holds import HoldReason
from app.tickets.models import Channel, Ticket, TicketKind
from app.tickets.visibility import visible_tickets

AREA = scopes.add_area("incidents", "Incidents: list, read, report, work, comment")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"

blp = Blueprint(
    "incidents_api",
    __name__,
    description="Incidents: the console's filters, reading, reporting, working and comments.",
)


class IncidentSchema(ma.Schema):
    number = ma.fields.String(required=True, metadata={"example": "INC0001001"})
    short_description = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    state = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in State]))
    hold_reason = ma.fields.String(allow_none=True)
    resolution_code = ma.fields.String(allow_none=True)
    resolution_notes = ma.fields.String(allow_none=True)
    impact = ma.fields.Integer(required=True)
    urgency = ma.fields.Integer(required=True)
    priority = ma.fields.Integer(required=True)
    priority_override_reason = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True)
    subcategory = ma.fields.String(allow_none=True)
    affected_service = ma.fields.String(allow_none=True)
    channel = ma.fields.String(required=True)
    major_state = ma.fields.String(required=True)
    caller = ma.fields.Nested(PersonRef, allow_none=True)
    opened_by = ma.fields.Nested(PersonRef, allow_none=True)
    assignment_group = ma.fields.Nested(GroupRef, allow_none=True)
    assignee = ma.fields.Nested(PersonRef, allow_none=True)
    parent = ma.fields.String(allow_none=True, metadata={"description": "The parent's number"})
    cis = ma.fields.List(ma.fields.String(), metadata={"description": "Names of linked CIs"})
    opened_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(allow_none=True)
    first_response_at = UTCDateTime(allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The ETag's version"})


IncidentPage = page_schema(IncidentSchema, "IncidentPage")


class IncidentFilters(PageArgs, Input):
    """The agent console's filters (for other people than agents, within what they see)."""

    view = ma.fields.String(
        load_default="all",
        validate=ma.validate.OneOf(list(VIEWS)),
        metadata={"description": "mine, unassigned (in my groups), open, all (the default)"},
    )
    state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([s.value for s in State])),
        load_default=list,
    )
    priority = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=9)), load_default=list
    )
    group = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    assignee = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    category = ma.fields.String(validate=ma.validate.Length(min=1, max=80))
    ci = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200), metadata={"description": "A CI's name"}
    )
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "A number, or words searched in the incident's texts"},
    )
    sort = ma.fields.String(load_default="priority", validate=ma.validate.OneOf(list(SORTS)))
    direction = ma.fields.String(load_default="asc", validate=ma.validate.OneOf(["asc", "desc"]))


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


def dump(incident: Incident) -> dict[str, Any]:
    """An incident as the API shows it."""
    group = incident.assignment_group
    return {
        **{
            f: getattr(incident, f)
            for f in (
                "number",
                "short_description",
                "description",
                "state",
                "resolution_code",
                "resolution_notes",
                "impact",
                "urgency",
                "priority",
                "priority_override_reason",
                "category",
                "subcategory",
                "affected_service",
                "opened_at",
                "updated_at",
                "first_response_at",
                "resolved_at",
                "closed_at",
                "version",
            )
        },
        "hold_reason": HoldReason(incident.hold_reason).value if incident.hold_reason else None,
        "channel": Channel(incident.channel).value,
        "major_state": MajorState(incident.major_state).value,
        "caller": _person(incident.caller),
        "opened_by": _person(incident.opened_by),
        "assignee": _person(incident.assignee),
        "assignment_group": {"id": group.id, "name": group.name} if group else None,
        "parent": incident.parent.number if incident.parent else None,
        "cis": [ci.name for ci in incident.cis],
    }


def get_incident(number: str, action: str = "incident.view") -> Incident:
    """The incident the token's person may see (404 otherwise), and may do ``action`` to."""
    from app.policy import authorize

    incident = db.session.scalar(select(Incident).where(Incident.number == number.upper()[:20]))
    if incident is None or not permissions.may_view(current_user, incident):
        raise NotFound("There is no incident with this number that you can see.")
    authorize(current_user, action, incident)
    return incident


def _respond(incident: Incident, status: int = 200) -> Response:
    response = jsonify(IncidentSchema().dump(dump(incident)))
    response.status_code = status
    return etags.with_etag(response, incident, "incident")


@blp.route("/incidents", methods=["GET"])
@operation("incidents.use", READ)
@blp.arguments(IncidentFilters, location="query", as_kwargs=True)
@blp.response(200, IncidentPage)
def list_incidents(cursor: str | None, limit: int, q: str | None = None, **filters: Any) -> Any:
    """List incidents with the agent console's filters and sorting, newest filters first.

    People who are not agents list the incidents they see in the pages (those they reported,
    opened or watch)."""
    args = MultiDict(
        [("kind", TicketKind.INCIDENT.value)]
        + [(k, str(v)) for k, v in filters.items() if not isinstance(v, list) and v is not None]
        + [(k, str(item)) for k, v in filters.items() if isinstance(v, list) for item in v]
    )
    form = QueueFilterForm(args)
    if ignored := form.clean():
        raise Invalid({"filters": ignored}, "Some filters were not understood.")
    query = visible_tickets(current_user, queue_ids(form, current_user))
    if q:
        # Work notes are searched for IT staff only, as in the pages.
        staff = current_user.has_role(Role.AGENT)
        number = Ticket.number == q.strip().upper()[:20]
        matching = search_query.matching_ids(q.strip(), "ticket", notes=staff)
        query = query.where(number if matching is None else number | Ticket.id.in_(matching))
    page = page_of(query, cursor, limit)
    rows = [i for i in load_page(list(page.items)) if isinstance(i, Incident)]
    return {"items": [dump(i) for i in rows], "next_cursor": page.next_cursor}


@blp.route("/incidents/<number>", methods=["GET"])
@operation("incidents.use", READ)
@blp.response(200, IncidentSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_incident(number: str) -> Any:
    """Read one incident; its ``ETag`` is what ``If-Match`` sends back on a change."""
    return _respond(get_incident(number))
