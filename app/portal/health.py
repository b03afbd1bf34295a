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
    """An open incident on an owned service that needs a look, and why."""

    incident: Incident
    reasons: list[str] = field(default_factory=list)
    sla: SlaSummary | None = None  # the SLA that breached, or the one closest to breaching

    @property
    def rank(self) -> tuple[int, int, int]:
        worst = 0 if self.incident.major_state != MajorState.NONE else 1
        return (worst, 0 if "SLA breached" in self.reasons else 1, self.incident.priority)


@dataclass
class OwnerHealth:
    services: list[ServiceHealth]
    attention: list[Attention]
    attention_total: int


def owner_health(user_id: int, *, now: datetime | None = None) -> OwnerHealth:
    """The health of every business service ``user_id`` owns (a bounded number of queries)."""
    services = [ServiceHealth(s) for s in owned_services(user_id)]
    by_name = {h.service.name: h for h in services}
    if not by_name:
        return OwnerHealth([], [], 0)
    incidents = list(
        db.session.scalars(
            select(Incident).where(
                Incident.affected_service.in_(list(by_name)),
                Incident.state.in_([s.value for s in OPEN_STATES]),
            )
        )
    )
    slas = sla_summaries([i.id for i in incidents], now=now)
    attention = []
    for incident in incidents:
        health = by_name[incident.affected_service or ""]
        health.open += 1
        note = Attention(incident)
        if incident.major_state in (MajorState.ACCEPTED, MajorState.PROPOSED):
            health.major += 1
            note.reasons.append(
                "Major incident" if incident.is_major else "Proposed as major incident"
            )
        summaries = slas.get(incident.id, [])
        breached = [s for s in summaries if s.breached]
        warned = [s for s in summaries if s.at_warning]
        if breached:
            health.breached += 1
            note.reasons.append("SLA breached")
            note.sla = breached[0]
        elif warned:
            health.at_risk += 1
            note.reasons.append("SLA at risk")
            note.sla = max(warned, key=lambda s: s.percentage)
        if note.reasons:
            attention.append(note)
    attention.sort(key=lambda a: a.rank)
    return OwnerHealth(services, attention[:ATTENTION_LISTED], len(attention))
