"""``/api/v1/incidents``: the worked example of an API resource.

Lists use the agent console's filters (``app.incidents.filters``) narrowed by the visibility
query (an employee's token lists what the employee sees in the pages); reads and writes load
the incident as the pages do (``get_incident``: one the caller may not see is a 404) and call
the incident services, so every rule is the pages' rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask import Response, current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest.fields import Upload
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from app import policy
from app.api import MULTIPART, etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.schemas import GroupRef, Input, PersonRef, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.auth.models import Group, Role, User
from app.auth.references import person
from app.auth.services import get_user_by_username
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.incidents import pages, permissions, services
from app.incidents.filters import SORTS, VIEWS, QueueFilterForm, number_or_text, queue_ids
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import RESOLUTION_CODES, State, Transition
from app.tickets import attachments
from app.tickets import services as tickets
from app.tickets.holds import HoldReason
from app.tickets.models import Channel, EntryKind, TicketKind
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
        "caller": person(incident.caller),
        "opened_by": person(incident.opened_by),
        "assignee": person(incident.assignee),
        "assignment_group": {"id": group.id, "name": group.name} if group else None,
        "parent": incident.parent.number if incident.parent else None,
        "cis": [ci.name for ci in incident.cis],
    }


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag read (412 when stale); * to overwrite whatever the version",
}


def load_incidents(ids: Sequence[int]) -> list[Incident]:
    """The incidents with these ids, in this order, with what ``dump`` reads (three queries
    in all, whatever the page's length)."""
    query = (
        select(Incident)
        .where(Incident.id.in_(list(ids)))
        .options(
            joinedload(Incident.opened_by),
            joinedload(Incident.parent).lazyload("*"),
            selectinload(Incident.cis),
        )
    )
    rows = {i.id: i for i in db.session.scalars(query).unique()}
    return [rows[i] for i in ids if i in rows]


def get_incident(number: str, action: str = "incident.view") -> Incident:
    """The incident the token's person may see (404 otherwise), and may do ``action`` to."""
    incident = db.session.scalar(select(Incident).where(Incident.number == number.upper()[:20]))
    if incident is None or not permissions.may_view(current_user, incident):
        raise NotFound(_("There is no incident with this number that you can see."))
    policy.authorize(current_user, action, incident)
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
        raise Invalid({"filters": ignored}, _("Some filters were not understood."))
    query = visible_tickets(current_user, queue_ids(form, current_user))
    # Work notes are searched for IT staff only, as in the pages.
    query = number_or_text(query, q, notes=current_user.has_role(Role.AGENT))
    page = page_of(query, cursor, limit)
    return {"items": [dump(i) for i in load_incidents(page.items)], "next_cursor": page.next_cursor}


@blp.route("/incidents/<number>", methods=["GET"])
@operation("incidents.use", READ)
@blp.response(200, IncidentSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_incident(number: str) -> Any:
    """Read one incident; its ``ETag`` is what ``If-Match`` sends back on a change."""
    return _respond(get_incident(number))


class IncidentCreate(Input):
    short_description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=20_000))
    urgency = ma.fields.Integer(load_default=3, validate=ma.validate.Range(min=1, max=9))
    # IT staff only, as on the agent's "new call" page:
    caller = ma.fields.String(
        validate=ma.validate.Length(min=1, max=150),
        metadata={"description": "The caller's username (IT staff; default: yourself)"},
    )
    impact = ma.fields.Integer(validate=ma.validate.Range(min=1, max=9))
    category = ma.fields.String(validate=ma.validate.Length(max=80), allow_none=True)
    subcategory = ma.fields.String(validate=ma.validate.Length(max=80), allow_none=True)
    affected_service = ma.fields.String(validate=ma.validate.Length(max=200), allow_none=True)
    cis = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        validate=ma.validate.Length(max=50),
        metadata={"description": "Names of the CIs to link"},
    )
    assignment_group = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1), allow_none=True
    )


STAFF_FIELDS = (
    "caller",
    "impact",
    "category",
    "subcategory",
    "affected_service",
    "cis",
    "assignment_group",
)


class IncidentUpdate(Input):
    short_description = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    description = ma.fields.String(validate=ma.validate.Length(max=20_000))
    category = ma.fields.String(validate=ma.validate.Length(max=80), allow_none=True)
    subcategory = ma.fields.String(validate=ma.validate.Length(max=80), allow_none=True)
    affected_service = ma.fields.String(validate=ma.validate.Length(max=200), allow_none=True)
    impact = ma.fields.Integer(validate=ma.validate.Range(min=1, max=9))
    urgency = ma.fields.Integer(validate=ma.validate.Range(min=1, max=9))
    priority = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=9),
        allow_none=True,
        metadata={"description": "Set by hand (with priority_reason), or null: the matrix"},
    )
    priority_reason = ma.fields.String(validate=ma.validate.Length(max=500))
    assignment_group = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1), allow_none=True
    )
    assignee = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1), allow_none=True)


class TransitionInput(Input):
    state = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in State]))
    hold_reason = ma.fields.String(validate=ma.validate.OneOf([h.value for h in HoldReason]))
    resolution_code = ma.fields.String(validate=ma.validate.OneOf(list(RESOLUTION_CODES)))
    resolution_notes = ma.fields.String(validate=ma.validate.Length(max=20_000))


class ReopenInput(Input):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))


class CommentInput(Input):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))
    kind = ma.fields.String(
        load_default=EntryKind.REPLY.value,
        validate=ma.validate.OneOf([EntryKind.REPLY.value, EntryKind.WORK_NOTE.value]),
        metadata={"description": "reply (the caller sees it) or work_note (IT staff only)"},
    )


class CommentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in EntryKind]))
    body = ma.fields.String(required=True)
    author = ma.fields.Nested(PersonRef, allow_none=True)
    changes = ma.fields.Dict(metadata={"description": "Field changes: {field: [old, new]}"})
    created_at = UTCDateTime(required=True)


class CommentList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CommentSchema), required=True)


class AttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    filename = ma.fields.String(required=True)
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    internal = ma.fields.Boolean(required=True)
    uploaded_by = ma.fields.Nested(PersonRef, allow_none=True)
    created_at = UTCDateTime(required=True)


class AttachmentList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)


class UploadInput(ma.Schema):
    file = Upload(required=True)


class UploadOptions(Input):
    internal = ma.fields.Boolean(
        load_default=False, metadata={"description": "Shown to IT staff only (IT staff)"}
    )


def _created(incident: Incident) -> Response:
    response = _respond(incident, 201)
    response.headers["Location"] = url_for("incidents_api.read_incident", number=incident.number)
    return response


def _row(model: Any, key: int | None, field: str) -> Any:
    if key is None:
        return None
    row = db.session.get(model, key)
    if row is None:
        raise Invalid({field: _("There is nothing with this id.")})
    return row


@blp.route("/incidents", methods=["POST"])
@operation("incidents.use", WRITE)
@blp.arguments(IncidentCreate)
@blp.response(201, IncidentSchema)
def create_incident(data: dict[str, Any]) -> Any:
    """Report an incident. IT staff may also say for whom, how bad, where and for which
    group, as on their "new call" page; others report for themselves, as in the portal."""
    staff = policy.can(current_user, "incidents.console")
    given = [f for f in STAFF_FIELDS if f in data]
    if given and not staff:
        raise Forbidden(_("Only IT staff set these fields: %(fields)s.", fields=", ".join(given)))
    caller = current_user
    if "caller" in data:
        caller = get_user_by_username(data["caller"])
        if caller is None or not caller.is_active:
            raise Invalid({"caller": _("No active person has this username.")})
    group = _row(Group, data.get("assignment_group"), "assignment_group")
    if group is not None and not group.is_assignment_group:
        raise Invalid({"assignment_group": _("This group does not take tickets.")})
    incident = services.open_incident(
        caller=caller,
        opened_by=current_user,
        short_description=data["short_description"],
        description=data["description"],
        channel=Channel.API,
        impact=data.get("impact", 3),
        urgency=data["urgency"],
        category=data.get("category"),
        subcategory=data.get("subcategory"),
        affected_service=data.get("affected_service"),
        ci_names=data.get("cis", ()),
        assignment_group=group,
    )
    db.session.commit()
    return _created(incident)


@blp.route("/incidents/<number>", methods=["PATCH"])
@operation("incidents.console", WRITE)
@blp.arguments(IncidentUpdate)
@blp.response(200, IncidentSchema)
@blp.doc(parameters=[IF_MATCH])
def update_incident(data: dict[str, Any], number: str) -> Any:
    """Change an incident's fields, priority and assignment at once (IT staff), as the
    incident page's form does: every problem is listed and nothing is saved. Send ``If-Match``
    with the ETag you read."""
    incident = get_incident(number, "incident.work")
    expected = etags.check_if_match(incident, "incident")
    values = {k: data[k] for k in (*services.EDITABLE, "impact", "urgency") if k in data}
    priority = None
    if "priority" in data:
        priority = services.PriorityChoice(data["priority"], data.get("priority_reason", ""))
    assignment = None
    if "assignment_group" in data or "assignee" in data:
        group_id = data.get("assignment_group", incident.assignment_group_id)
        assignee_id = data.get("assignee", incident.assignee_id)
        assignment = (
            _row(Group, group_id, "assignment_group"),
            _row(User, assignee_id, "assignee"),
        )
    services.save_incident(
        incident,
        actor=current_user,
        expected_version=expected,
        values=values,
        priority=priority,
        assignment=assignment,
    )
    db.session.commit()
    return _respond(incident)


@blp.route("/incidents/<number>/transitions", methods=["POST"])
@operation("incidents.console", WRITE)
@blp.arguments(TransitionInput)
@blp.response(200, IncidentSchema)
@blp.doc(parameters=[IF_MATCH])
def transition_incident(data: dict[str, Any], number: str) -> Any:
    """Move an incident through its lifecycle (IT staff): on hold with a reason, resolved with
    a code and notes, and so on, by the workflow's rules."""
    incident = get_incident(number, "incident.work")
    expected = etags.check_if_match(incident, "incident")
    target = State(data["state"])
    change = Transition(
        target,
        hold_reason=HoldReason(data["hold_reason"]) if data.get("hold_reason") else None,
        resolution_code=data.get("resolution_code"),
        resolution_notes=data.get("resolution_notes"),
    )
    services.change_state(incident, change, actor=current_user, expected_version=expected)
    db.session.commit()
    return _respond(incident)


@blp.route("/incidents/<number>/confirm", methods=["POST"])
@operation("incidents.use", WRITE)
@blp.response(200, IncidentSchema)
def confirm_incident(number: str) -> Any:
    """The caller confirms the fix of a resolved incident: it closes."""
    incident = get_incident(number, "incident.confirm")
    if incident.state != State.RESOLVED:
        raise Invalid({"state": _("Only a resolved incident can be confirmed.")})
    services.confirm_resolution(incident, actor=current_user)
    db.session.commit()
    return _respond(incident)


@blp.route("/incidents/<number>/reopen", methods=["POST"])
@operation("incidents.use", WRITE)
@blp.arguments(ReopenInput)
@blp.response(200, IncidentSchema)
def reopen_incident(data: dict[str, Any], number: str) -> Any:
    """The caller says the problem is back, within the reopen window."""
    incident = get_incident(number, "incident.confirm")
    services.reopen_incident(
        incident,
        actor=current_user,
        reason=data["reason"],
        window=services.reopen_window(current_app.config),
    )
    db.session.commit()
    return _respond(incident)


def _comment(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": EntryKind(entry.kind).value,
        "body": entry.body,
        "author": person(entry.author),
        "changes": entry.changes or {},
        "created_at": entry.created_at,
    }


@blp.route("/incidents/<number>/comments", methods=["GET"])
@operation("incidents.use", READ)
@blp.response(200, CommentList)
def list_comments(number: str) -> Any:
    """The incident's timeline, oldest first: replies and changes; work notes for IT staff."""
    incident = get_incident(number)
    staff = permissions.may_work(current_user, incident)
    entries = tickets.timeline(incident, public_only=not staff, newest_first=False)
    return {"items": [_comment(e) for e in entries]}


@blp.route("/incidents/<number>/comments", methods=["POST"])
@operation("incidents.use", WRITE)
@blp.arguments(CommentInput)
@blp.response(201, CommentSchema)
def add_comment(data: dict[str, Any], number: str) -> Any:
    """Reply to the caller, or add a work note (IT staff)."""
    incident = get_incident(number, "incident.reply")
    public = data["kind"] == EntryKind.REPLY.value
    if not public and not permissions.may_work(current_user, incident):
        raise Forbidden(_("Only IT staff write work notes."))
    entry = services.comment(incident, author=current_user, body=data["body"], public=public)
    db.session.commit()
    return _comment(entry)


def _attachment(found: Any) -> dict[str, Any]:
    return {
        **{
            f: getattr(found, f)
            for f in ("id", "filename", "content_type", "size", "sha256", "internal", "created_at")
        },
        "uploaded_by": person(found.uploaded_by),
    }


@blp.route("/incidents/<number>/attachments", methods=["GET"])
@operation("incidents.use", READ)
@blp.response(200, AttachmentList)
def list_attachments(number: str) -> Any:
    """The incident's files (internal ones for IT staff only)."""
    incident = get_incident(number)
    staff = permissions.may_work(current_user, incident)
    # The incident page's list (internal files for IT staff only): one rule, one place.
    return {"items": [_attachment(a) for a in pages._attachments(incident, staff)]}


@blp.route("/incidents/<number>/attachments/<int:attachment_id>", methods=["GET"])
@operation("incidents.use", READ)
@blp.response(
    200,
    content_type="application/octet-stream",
    description="The file's bytes, with its own content type",
)
def download_attachment(number: str, attachment_id: int) -> Any:
    """Download one file."""
    incident = get_incident(number)
    found = pages.visible_attachment(incident, attachment_id)
    if found is None:
        raise NotFound(_("There is no such attachment on this incident."))
    return attachments.download(found)


@blp.route("/incidents/<number>/attachments", methods=["POST"])
@operation("incidents.use", WRITE)
@blp.arguments(UploadOptions, location="query")
@blp.arguments(UploadInput, location="files")
@blp.response(201, AttachmentSchema)
def upload_attachment(options: dict[str, Any], files: dict[str, Any], number: str) -> Any:
    """Attach a file (multipart/form-data, field ``file``); ``internal=true`` for IT staff."""
    incident = get_incident(number, "incident.reply")
    if options["internal"] and not permissions.may_work(current_user, incident):
        raise Forbidden(_("Only IT staff attach internal files."))
    found = attachments.store(
        incident, files["file"], uploader=current_user, internal=options["internal"]
    )
    db.session.commit()
    return _attachment(found)


setattr(upload_attachment, MULTIPART, True)
