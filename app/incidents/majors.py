"""Major-incident proposals as those who decide on them see them: the open proposals (who
proposed, when and why), their count for the home page, and the read-only incident page a
service owner or administrator decides from.

Work notes are internal to IT, and deciders are IT (service owners, administrators): the review
page shows the whole timeline, but only agents edit, assign or write work notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.incidents import correlation, services
from app.incidents.forms import MajorDecisionForm
from app.incidents.matrix import load_matrix
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import RESOLUTION_CODES
from app.sla.services import sla_summaries
from app.tickets import services as tickets
from app.tickets.models import EntryKind, JournalEntry


@dataclass(frozen=True)
class Proposal:
    """Who proposed an incident as major, when, and why (the proposer's reason)."""

    incident: Incident
    proposed_by: str
    proposed_at: datetime | None
    reason: str


def open_proposal_count() -> int:
    """How many proposals wait for a decision."""
    query = select(func.count()).select_from(Incident)
    return db.session.scalar(query.where(Incident.major_state == MajorState.PROPOSED)) or 0


def open_proposals() -> list[Proposal]:
    """Every proposal waiting for a decision, oldest incident first."""
    incidents = list(
        db.session.scalars(
            select(Incident)
            .options(joinedload(Incident.caller))
            .where(Incident.major_state == MajorState.PROPOSED)
            .order_by(Incident.opened_at, Incident.id)
        )
    )
    found = _proposal_entries([i.id for i in incidents])
    return [_proposal(i, found.get(i.id)) for i in incidents]


def proposal_of(incident: Incident) -> Proposal:
    return _proposal(incident, _proposal_entries([incident.id]).get(incident.id))


def _proposal_entries(incident_ids: Sequence[int]) -> dict[int, JournalEntry]:
    """The latest journal entry that proposed each incident as major (one query)."""
    if not incident_ids:
        return {}
    entries = db.session.scalars(
        select(JournalEntry)
        .where(JournalEntry.ticket_id.in_(incident_ids), JournalEntry.kind == EntryKind.CHANGE)
        .order_by(JournalEntry.id)
    )
    latest: dict[int, JournalEntry] = {}
    for entry in entries:
        change = entry.changes.get("major")
        if change and change[-1] == MajorState.PROPOSED.value:
            latest[entry.ticket_id] = entry
    return latest


def _proposal(incident: Incident, entry: JournalEntry | None) -> Proposal:
    if entry is None:
        return Proposal(incident, "", None, "")
    reason = entry.body.removeprefix(services.PROPOSED_PREFIX)
    who = entry.author.display_name if entry.author else "Deskgraph"
    return Proposal(incident, who, entry.created_at, reason)


def render_review(incident: Incident, *, status: int = 200, **forms: Any) -> ResponseReturnValue:
    """The incident page of someone who decides on major incidents but does not work them."""
    cis = services.ci_names_of(incident)
    context: dict[str, Any] = {
        "incident": incident,
        "staff": True,  # the timeline shows work notes and field changes (read only)
        "proposal": proposal_of(incident),
        "decision_form": forms.get("major_decision_form") or MajorDecisionForm(formdata=None),
        "timeline": tickets.timeline(incident, public_only=False, newest_first=True),
        "cis": cis,
        "children": list(incident.children),
        "matrix": load_matrix(),
        "resolution_codes": RESOLUTION_CODES,
        "slas": sla_summaries([incident.id]).get(incident.id, []),
        **correlation.impact_context(cis),
    }
    return render_template("incidents/major_review.html", **context), status
