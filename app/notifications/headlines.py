"""The one line that says what a notification is about, in the reader's language: the list in
the app, the digest and the mail's subject. Each is rendered from the notification's kind and
its event's data when it is read (``Notification.summary`` keeps the English line as written,
for the API and for a notification whose event is gone)."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.extensions import db
from app.notifications.people import group_name

HEADLINES: dict[str, LazyString] = {
    "received": _l("%(number)s received: %(title)s"),
    "public_reply": _l("%(actor)s replied on %(number)s: %(title)s"),
    "waiting_for_you": _l("%(number)s waits for your answer: %(title)s"),
    "resolved": _l("%(number)s was resolved: %(title)s"),
    "closed": _l("%(number)s was closed: %(title)s"),
    "request_state": _l("%(number)s is now %(state)s: %(title)s"),
    "assigned_to_you": _l("%(number)s was assigned to you: %(title)s"),
    "caller_replied": _l("The caller replied on %(number)s: %(title)s"),
    "reopened": _l("%(number)s was reopened: %(title)s"),
    "sla_warning": _l("%(number)s: %(threshold)s%% of the SLA used: %(title)s"),
    "sla_breach": _l("%(number)s breached its SLA: %(title)s"),
    "escalation": _l("%(number)s escalated (SLA breached): %(title)s"),
    "new_in_queue": _l("New in %(group)s: %(number)s %(title)s"),
    "approval_needed": _l("Your approval is needed: %(number)s %(title)s"),
    "approval_reminder": _l("Reminder: %(number)s waits for your approval: %(title)s"),
    "major_proposed": _l("%(number)s proposed as a major incident: %(title)s"),
    "work_note": _l("%(actor)s added a work note on %(number)s: %(title)s"),
    "survey": _l("How did we do on %(number)s? %(title)s"),
    "low_score": _l("%(actor)s gave %(number)s a low score (%(score)s/5): %(title)s"),
}


def summary(kind: str, ticket: Any, event: Any, actor: str) -> str:
    """One line that says what happened, in the language being rendered."""
    data = event.data or {}
    text = str(HEADLINES[kind]) % {
        "number": ticket.number,
        "title": ticket.short_description,
        "actor": actor,
        "state": str(data.get("new") or ticket.state).replace("_", " "),
        "threshold": data.get("threshold", ""),
        "score": data.get("score", ""),
        "group": group_name(data.get("group_id")) or _("your queue"),
    }
    return text if len(text) <= 300 else text[:299] + "…"


def headline(note: Any) -> str:
    """``note``'s line in the language being rendered (its stored line if its event is gone)."""
    event = note.event
    if event is None or note.kind not in HEADLINES:
        return str(note.summary)
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    return summary(note.kind, note.ticket, event, actor.display_name if actor else "Deskgraph")
