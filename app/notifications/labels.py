"""What people read of each notification kind (its name and who hears it), in their language;
:mod:`app.notifications.rules` stays pure and keeps the English of the same words."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class KindText(NamedTuple):
    label: LazyString
    audience: LazyString


KINDS: dict[str, KindText] = {
    "approval_needed": KindText(_l("Approval needed"), _l("Approver")),
    "approval_reminder": KindText(_l("Approval reminder"), _l("Approver")),
    "assigned_to_you": KindText(_l("Assigned to you"), _l("Assignee")),
    "caller_replied": KindText(_l("Caller replied"), _l("Assignee")),
    "reopened": KindText(_l("Ticket reopened"), _l("Assignee")),
    "sla_breach": KindText(_l("SLA breached"), _l("Assignee")),
    "sla_warning": KindText(_l("SLA warning"), _l("Assignee")),
    "escalation": KindText(_l("Escalation"), _l("Group manager")),
    "major_proposed": KindText(
        _l("Major incident proposed"), _l("Service owners and administrators")
    ),
    "received": KindText(_l("Ticket received"), _l("Caller")),
    "waiting_for_you": KindText(_l("Waiting for your answer"), _l("Caller")),
    "resolved": KindText(_l("Ticket resolved"), _l("Caller")),
    "closed": KindText(_l("Ticket closed"), _l("Caller")),
    "request_state": KindText(_l("Request status changed"), _l("Requester")),
    "public_reply": KindText(_l("Public reply"), _l("Caller and watchers")),
    "work_note": KindText(_l("Work note"), _l("Assignee and IT staff who watch")),
    "new_in_queue": KindText(_l("New ticket in your queue"), _l("Group members")),
    "survey": KindText(_l("Satisfaction survey"), _l("Caller")),
    "low_score": KindText(_l("Low satisfaction score"), _l("Group manager")),
}
