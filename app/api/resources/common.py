"""What the resource modules share: references to people, groups and tickets as the API shows
them, and the helpers that answer with an ``ETag``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify

from app.api import etags
from app.api.schemas import GroupRef, PersonRef, UTCDateTime
from app.auth.references import person

__all__ = ["person"]  # re-exported: the resources refer to people through here

INT_ID = ma.validate.Range(min=1, max=2**31 - 1)


def group(found: Any) -> dict[str, Any] | None:
    return {"id": found.id, "name": found.name} if found is not None else None


class TicketSchema(ma.Schema):
    """The fields every ticket kind shares."""

    number = ma.fields.String(required=True)
    short_description = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    priority = ma.fields.Integer(required=True)
    caller = ma.fields.Nested(PersonRef, allow_none=True)
    opened_by = ma.fields.Nested(PersonRef, allow_none=True)
    assignment_group = ma.fields.Nested(GroupRef, allow_none=True)
    assignee = ma.fields.Nested(PersonRef, allow_none=True)
    opened_at = UTCDateTime(required=True)
    closed_at = UTCDateTime(allow_none=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The ETag's version"})


def ticket_fields(ticket: Any) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "short_description": ticket.short_description,
        "state": str(ticket.state),
        "priority": ticket.priority,
        "caller": person(ticket.caller),
        "opened_by": person(ticket.opened_by),
        "assignment_group": group(ticket.assignment_group),
        "assignee": person(ticket.assignee),
        "opened_at": ticket.opened_at,
        "closed_at": ticket.closed_at,
        "version": ticket.version,
    }


def respond(schema: ma.Schema, data: Any, obj: Any, kind: str, status: int = 200) -> Response:
    """``data`` dumped by ``schema`` with ``obj``'s ETag."""
    response = jsonify(schema.dump(data))
    response.status_code = status
    return etags.with_etag(response, obj, kind)


class Empty(ma.Schema):
    """No body (a ``204`` answer)."""


def page_list(rows: list[Any], cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of a list a service returned whole (short lists: approvals, catalog items),
    with the same opaque cursors as :func:`app.api.pagination.page_of`."""
    from app.api.pagination import decode, encode

    offset = decode(cursor)
    more = len(rows) > offset + limit
    return {
        "items": rows[offset : offset + limit],
        "next_cursor": encode(offset + limit) if more else None,
    }


class EntrySchema(ma.Schema):
    """A reply or work note just written."""

    id = ma.fields.Integer(required=True)
    ticket = ma.fields.String(required=True, metadata={"description": "The ticket's number"})
    kind = ma.fields.String(required=True, metadata={"description": "reply or work_note"})
    body = ma.fields.String(required=True)
    author = ma.fields.Nested(PersonRef, allow_none=True)
    created_at = UTCDateTime(required=True)


def entry(found: Any, ticket: Any) -> dict[str, Any]:
    return {
        "id": found.id,
        "ticket": ticket.number,
        "kind": str(found.kind.value),
        "body": found.body,
        "author": person(found.author),
        "created_at": found.created_at,
    }
