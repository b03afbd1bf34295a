"""``/api/v1/notifications``: the caller's own notifications (the bell), and marking them read.

Everything is the caller's own: another person's notification is a 404
(``services.open_notification``), as on the notification pages.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user

from app.api import scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.schemas import Input, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from app.policy import SIGNED_IN

AREA = scopes.add_area("notifications", "My notifications: list, mark read")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"

blp = Blueprint("notifications_api", __name__, description="My notifications (the bell).")


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    ticket = ma.fields.String(required=True, metadata={"description": "The ticket's number"})
    created_at = UTCDateTime(required=True)
    read_at = UTCDateTime(allow_none=True)


NotificationPage = page_schema(NotificationSchema, "NotificationPage")


class NotificationFilters(PageArgs, Input):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})


class NotificationsReadSchema(ma.Schema):
    marked = ma.fields.Integer(required=True, metadata={"description": "How many were unread"})
    unread = ma.fields.Integer(required=True)


def dump(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "summary": note.summary,
        "ticket": note.ticket.number,
        "created_at": note.created_at,
        "read_at": note.read_at,
    }


@blp.route("/notifications", methods=["GET"])
@operation(SIGNED_IN, READ)
@blp.arguments(NotificationFilters, location="query", as_kwargs=True)
@blp.response(200, NotificationPage)
def list_notifications(cursor: str | None, limit: int, unread: bool) -> Any:
    """My notifications in the app, newest first."""
    query = services.notifications_query(current_user, unread_only=unread)
    page = page_of(query, cursor, limit)
    return {"items": [dump(n) for n in page.items], "next_cursor": page.next_cursor}


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@operation(SIGNED_IN, WRITE)
@blp.response(200, NotificationSchema)
def mark_read(notification_id: int) -> Any:
    """Mark one of my notifications read (again: no change)."""
    note = services.open_notification(current_user, min(notification_id, 2**31))
    db.session.commit()
    return dump(note)


@blp.route("/notifications/read", methods=["POST"])
@operation(SIGNED_IN, WRITE)
@blp.response(200, NotificationsReadSchema)
def mark_all_read() -> Any:
    """Mark every one of my notifications read."""
    marked = services.mark_all_read(current_user)
    db.session.commit()
    return {"marked": marked, "unread": services.unread_count(current_user)}
