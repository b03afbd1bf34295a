"""A service owner's home: the health of the business services they own in the CMDB.

An incident is *on* a service when it links the service's CI or names it as its affected
service (an incident may be on several services). Per service the home
counts the open incidents, the major ones (accepted or proposed), those with a breached SLA and
those at risk (an SLA past its first warning, not breached), from the SLA domain's live
summaries, and lists the incidents that need attention, worst first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from app.cmdb.models import ConfigurationItem
from app.cmdb.ownership import owned_service, owned_services
from app.extensions import db
from app.incidents.models import Incident, MajorState, incident_cis
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


def _open_incidents(services: list[ConfigurationItem]) -> dict[Incident, set[int]]:
    """The open incidents on these services, each with the ids of the services it is on, in
    priority then age order."""
    ids = [s.id for s in services]
    by_name = {s.name: s.id for s in services}
    linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id.in_(ids))
    incidents = db.session.scalars(
        select(Incident)
        .where(
            or_(Incident.id.in_(linked), Incident.affected_service.in_(list(by_name))),
            Incident.state.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(Incident.priority, Incident.opened_at)
    ).all()
    on: dict[Incident, set[int]] = {i: set() for i in incidents}
    by_id = {i.id: i for i in incidents}
    links = select(incident_cis.c.incident_id, incident_cis.c.ci_id).where(
        incident_cis.c.ci_id.in_(ids), incident_cis.c.incident_id.in_(list(by_id))
    )
    for incident_id, ci_id in db.session.execute(links):
        on[by_id[incident_id]].add(ci_id)
    for incident in incidents:
        if incident.affected_service in by_name:
            on[incident].add(by_name[incident.affected_service])
    return on


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
    by_id = {h.service.id: h for h in services}
    if not by_id:
        return OwnerHealth([], [], 0)
    on = _open_incidents([h.service for h in services])
    notes = _assess(list(on), now)
    for note in notes:
        for service_id in on[note.incident]:
            health = by_id[service_id]
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
    service = owned_service(user_id, ci_id)
    if service is None:
        return None
    notes = _assess(list(_open_incidents([service])), now)
    return service, sorted(notes, key=lambda a: (not a.reasons, a.rank))
