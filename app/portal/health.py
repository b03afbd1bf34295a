"""A service owner's home: the health of the business services they own in the CMDB.

An incident is *on* a service when it names it as its affected service. Per service the home
counts the open incidents, the major ones (accepted or proposed), those with a breached SLA and
those at risk (an SLA past its first warning, not breached), from the SLA domain's live
summaries, and lists the incidents that need attention, worst first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.cmdb.models import ConfigurationItem
from app.cmdb.ownership import owned_services
from app.extensions import db
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import OPEN_STATES
from app.sla.summaries import SlaSummary, sla_summaries

ATTENTION_LISTED = 10


@dataclass
class ServiceHealth:
    service: ConfigurationItem
    open: int = 0
    major: int = 0
    breached: int = 0
    at_risk: int = 0

    @property
    def status(self) -> str:
        """``major``, ``breached``, ``at_risk`` or ``ok``: the worst thing about the service."""
        for name in ("major", "breached", "at_risk"):
            if getattr(self, name):
                return name
        return "ok"


@dataclass
class Attention:
    """An open incident on an owned service and why it needs a look (no reasons: calm)."""

    incident: Incident
    reasons: list[str] = field(default_factory=list)
    sla: SlaSummary | None = None  # the SLA that breached, or the one closest to breaching

    @property
    def is_major(self) -> bool:
        return self.incident.major_state in (MajorState.ACCEPTED, MajorState.PROPOSED)

    @property
    def rank(self) -> tuple[bool, bool, int]:
        breached = "SLA breached" in self.reasons
        return (not self.is_major, not breached, self.incident.priority)


@dataclass
class OwnerHealth:
    services: list[ServiceHealth]
    attention: list[Attention]
    attention_total: int


def _open_incidents(service_names: list[str]) -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident)
            .where(
                Incident.affected_service.in_(service_names),
                Incident.state.in_([s.value for s in OPEN_STATES]),
            )
            .order_by(Incident.priority, Incident.opened_at)
        )
    )


def _assess(incidents: list[Incident], now: datetime | None) -> list[Attention]:
    """Why each incident needs a look (no reason: it does not), with its telling SLA."""
    slas = sla_summaries([i.id for i in incidents], now=now)
    notes = []
    for incident in incidents:
        note = Attention(incident)
        if note.is_major:
            note.reasons.append(
                "Major incident" if incident.is_major else "Proposed as major incident"
            )
        summaries = slas.get(incident.id, [])
        breached = [s for s in summaries if s.breached]
        warned = [s for s in summaries if s.at_warning]
        if breached:
            note.reasons.append("SLA breached")
            note.sla = breached[0]
        elif warned:
            note.reasons.append("SLA at risk")
            note.sla = max(warned, key=lambda s: s.percentage)
        notes.append(note)
    return notes


def owner_health(user_id: int, *, now: datetime | None = None) -> OwnerHealth:
    """The health of every business service ``user_id`` owns (a bounded number of queries)."""
    services = [ServiceHealth(s) for s in owned_services(user_id)]
    by_name = {h.service.name: h for h in services}
    if not by_name:
        return OwnerHealth([], [], 0)
    notes = _assess(_open_incidents(list(by_name)), now)
    for note in notes:
        health = by_name[note.incident.affected_service or ""]
        health.open += 1
        health.major += note.is_major
        health.breached += "SLA breached" in note.reasons
        health.at_risk += "SLA at risk" in note.reasons
    attention = sorted((n for n in notes if n.reasons), key=lambda a: a.rank)
    return OwnerHealth(services, attention[:ATTENTION_LISTED], len(attention))


def service_incidents(
    user_id: int, ci_id: int, *, now: datetime | None = None
) -> tuple[ConfigurationItem, list[Attention]] | None:
    """One owned service and all its open incidents, those needing a look first; None when
    ``user_id`` owns no such service."""
    service = next((s for s in owned_services(user_id) if s.id == ci_id), None)
    if service is None:
        return None
    notes = _assess(_open_incidents([service.name]), now)
    return service, sorted(notes, key=lambda a: (not a.reasons, a.rank))
