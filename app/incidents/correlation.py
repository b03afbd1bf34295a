"""Incidents meet the CMDB: the impact of an incident's CIs, the impact it suggests, and open
incidents on CIs upstream of them (likely parents: correlation). CIs are given by id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Load

from app.auth.models import Group
from app.cmdb.analysis import impact_of_cis, offer_impact, upstream_of_cis
from app.cmdb.graph.vocabulary import ImpactOptions, Path
from app.cmdb.models import ConfigurationItem
from app.cmdb.settings import impact_options
from app.extensions import db
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES


@dataclass(frozen=True)
class ParentCandidate:
    incident: Incident
    ci_name: str
    why: Path  # the dependency chain, in the direction of the failure


def impact_context(ci_ids: list[int], options: ImpactOptions | None = None) -> dict[str, Any]:
    """``impact`` and ``offered_impact`` for the CMDB impact panel (both None without CIs);
    ``options``: the administrators' impact options, when the caller read them already."""
    impact = impact_of_cis(ci_ids, options) if ci_ids else None
    return {"impact": impact, "offered_impact": offer_impact(impact)}


def cmdb_context(incident: Incident, ci_ids: list[int]) -> dict[str, Any]:
    """What the agent's page shows of the CMDB: :func:`impact_context` and the
    ``parent_candidates``, with the impact options read once for both."""
    options = impact_options() if ci_ids else None
    return {
        **impact_context(ci_ids, options),
        "parent_candidates": parent_candidates(incident, ci_ids, options=options),
    }


def parent_candidates(
    incident: Incident, ci_ids: list[int], limit: int = 5, options: ImpactOptions | None = None
) -> list[ParentCandidate]:
    """Open incidents linked to a CI that the incident's CIs depend on, nearest first."""
    if not ci_ids:
        return []
    needs = upstream_of_cis(ci_ids, options=options)
    if not needs:
        return []
    rows = db.session.execute(
        select(Incident, incident_cis.c.ci_id, ConfigurationItem.name)
        .join(incident_cis, incident_cis.c.incident_id == Incident.id)
        .join(ConfigurationItem, ConfigurationItem.id == incident_cis.c.ci_id)
        .where(
            incident_cis.c.ci_id.in_(list(needs)),
            Incident.id != incident.id,
            Incident.state.in_([s.value for s in OPEN_STATES]),
        )
        .options(Load(Incident).lazyload("*"))  # named only: none of its people
        .order_by(Incident.opened_at)
    ).all()
    order = {ci_id: position for position, ci_id in enumerate(needs)}
    found: dict[int, ParentCandidate] = {}
    for candidate, ci_id, name in sorted(rows, key=lambda row: order[row[1]]):
        if candidate.id != incident.parent_id and candidate.id not in found:
            found[candidate.id] = ParentCandidate(candidate, name, needs[ci_id])
    return list(found.values())[:limit]


def support_group_id(ci_ids: list[int]) -> int | None:
    """The support group of the incident's CIs (the first by name that has one) when it is an
    assignment group, in one statement: routing by CI."""
    if not ci_ids:
        return None
    found = db.session.execute(
        select(ConfigurationItem.support_group_id, Group.is_assignment_group)
        .outerjoin(Group, Group.id == ConfigurationItem.support_group_id)
        .where(
            ConfigurationItem.id.in_(ci_ids),
            ConfigurationItem.support_group_id.is_not(None),
        )
        .order_by(ConfigurationItem.name, ConfigurationItem.id)
        .limit(1)
    ).first()
    return found.support_group_id if found is not None and found.is_assignment_group else None
