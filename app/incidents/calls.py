"""Opening an incident for a caller in one go: the agent who takes a phone call (or a mail, or a
visit at the desk) records it, gives it to a group or a person, and resolves it at once when it
was solved on the call. One form, one transaction: a refusal lists every problem it can find
before writing and saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.auth.models import Group, User
from app.errors import Invalid
from app.incidents import services
from app.incidents.models import Incident
from app.incidents.workflow import RESOLUTION_CODES, State, Transition, transition_problems
from app.tickets import services as tickets
from app.tickets.models import Channel
from app.timeutils import utc_now


@dataclass(frozen=True)
class Resolution:
    """How a call was solved while the caller was on the line."""

    code: str
    notes: str

    @property
    def transition(self) -> Transition:
        return Transition(State.RESOLVED, resolution_code=self.code, resolution_notes=self.notes)


def problems_of(
    group: Group | None, assignee: User | None, resolution: Resolution | None
) -> dict[str, str]:
    """Why the assignment or the resolution cannot be saved, per field (empty: they can)."""
    problems = dict(tickets.assignment_problems(group, assignee))
    if resolution is not None:
        problems.update(transition_problems(State.NEW, resolution.transition, _))
        if resolution.code and resolution.code not in RESOLUTION_CODES:
            problems["resolution_code"] = _("Choose a resolution code from the list.")
    return problems


def open_for_caller(
    *,
    caller: User,
    agent: User,
    channel: Channel = Channel.PHONE,
    group: Group | None = None,
    assignee: User | None = None,
    resolution: Resolution | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Incident:
    """Open an incident for ``caller``, opened by ``agent`` through ``channel``, with the
    descriptive ``fields`` of :func:`services.open_incident`. It goes to ``group`` (else where
    the routing rules send it) and to ``assignee`` in that group; with a ``resolution`` it is
    resolved at once by the agent, who answered the caller on the call.

    :raise Invalid: the assignment or the resolution is refused (every such problem at once),
        or the incident's fields are (see :func:`services.open_incident`).
    """
    problems = problems_of(group, assignee, resolution)
    if problems:
        raise Invalid(problems, _("Nothing was saved: correct the fields marked below."))
    now = now or utc_now()
    incident = services.open_incident(
        caller=caller, opened_by=agent, channel=channel, assignment_group=group, now=now, **fields
    )
    if assignee is not None:
        services.assign_incident(incident, group=group, assignee=assignee, actor=agent, now=now)
    if resolution is not None:
        incident.first_response_at = incident.first_response_at or now
        services.change_state(incident, resolution.transition, actor=agent, now=now)
    return incident
