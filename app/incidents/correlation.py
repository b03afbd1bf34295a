"""Incidents meet the CMDB: the impact of the CIs an incident names, the impact it suggests,
and open incidents on CIs upstream of them (likely parents: correlation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES


@dataclass(frozen=True)
class ParentCandidate:
    incident: Incident
    ci_name: str
    why: str  # the dependency chain, in the direction of the failure


def impact_context(cis: list[str]) -> dict[str, Any]:
    """``impact`` and ``offered_impact`` for the CMDB impact panel (both None without CIs)."""
    from app.cmdb.analysis import impact_of_ci_names, offer_impact

    impact = impact_of_ci_names(cis) if cis else None
    return {"impact": impact, "offered_impact": offer_impact(impact)}


def parent_candidates(incident: Incident, cis: list[str], limit: int = 5) -> list[ParentCandidate]:
    """Open incidents naming a CI that the incident's CIs depend on, nearest dependency first."""
    if not cis:
        return []
    from app.cmdb.analysis import upstream_names

    needs = upstream_names(cis)
    if not needs:
        return []
    name = func.lower(incident_cis.c.ci_name)
    rows = db.session.execute(
        select(Incident, name)
        .join(incident_cis, incident_cis.c.incident_id == Incident.id)
        .where(
            name.in_(list(needs)),
            Incident.id != incident.id,
            Incident.state.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(Incident.opened_at)
    ).all()
    order = {key: position for position, key in enumerate(needs)}
    found: dict[int, ParentCandidate] = {}
    for candidate, ci_name in sorted(rows, key=lambda row: order[row[1]]):
        if candidate.id != incident.parent_id and candidate.id not in found:
            found[candidate.id] = ParentCandidate(candidate, ci_name, needs[ci_name])
    return list(found.values())[:limit]


def support_group_id(cis: list[str]) -> int | None:
    """The support group of the first named CI that has one (routing by CI)."""
    if not cis:
        return None
    from app.cmdb.models import ConfigurationItem

    rows = db.session.execute(
        select(func.lower(ConfigurationItem.name), ConfigurationItem.support_group_id).where(
            func.lower(ConfigurationItem.name).in_([c.lower() for c in cis]),
            ConfigurationItem.support_group_id.is_not(None),
        )
    ).all()
    groups = dict(rows)
    return next((groups[c.lower()] for c in cis if c.lower() in groups), None)
