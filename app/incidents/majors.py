"""Major-incident proposals as those who decide on them see them: the open proposals (who
proposed, when and why) and their count for the home page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.incidents import services
from app.incidents.models import Incident, MajorState
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
