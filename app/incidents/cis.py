"""An incident's configuration items: links to CMDB rows by id, so a renamed CI stays linked.

Names are looked up only where a person or a file types them (the agent's new-incident form,
the demo loader), case-insensitively through the indexed ``ConfigurationItem.name_key``. The
employee's report form offers business services only (:func:`services_for`).

Incidents depend on the CMDB, never the reverse: the CMDB's CI page learns of incidents through
:func:`app.cmdb.pages.register_ci_incidents` (see :func:`open_incidents_on`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select

from app.auth.models import group_members
from app.cmdb.class_tree import subtree_ids
from app.cmdb.graph import Lifecycle
from app.cmdb.models import CIClass, ConfigurationItem
from app.cmdb.pages import register_ci_incidents
from app.errors import Invalid
from app.extensions import db
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES

MAX_CIS = 50
SERVICE_CLASS = "business_service"


def ci_ids_of(incident: Incident) -> list[int]:
    """The ids of the incident's CIs (in id order)."""
    return list(
        db.session.scalars(
            select(incident_cis.c.ci_id)
            .where(incident_cis.c.incident_id == incident.id)
            .order_by(incident_cis.c.ci_id)
        )
    )


def names_of(ci_ids: Iterable[int]) -> list[str]:
    """The current names of these CIs, sorted."""
    ids = list(ci_ids)
    if not ids:
        return []
    return sorted(
        db.session.scalars(select(ConfigurationItem.name).where(ConfigurationItem.id.in_(ids)))
    )


def ids_named(names: Iterable[str]) -> list[int]:
    """The CIs with these names, compared case-insensitively (a name shared by CIs of several
    classes means all of them).

    :raise Invalid: (``cis``) a name that no CI has, or more than :data:`MAX_CIS` CIs.
    """
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    if not wanted:
        return []
    rows = db.session.execute(
        select(ConfigurationItem.id, ConfigurationItem.name_key).where(
            ConfigurationItem.name_key.in_([func.lower(n) for n in wanted])
        )
    ).all()
    known = {key for _, key in rows}
    lowered = db.session.execute(select(*[func.lower(n) for n in wanted])).one()
    unknown = [n for n, key in zip(wanted, lowered, strict=True) if key not in known]
    if unknown:
        raise Invalid({"cis": f"No CI is named {', '.join(unknown[:5])}."})
    ids = sorted({i for i, _ in rows})
    if len(ids) > MAX_CIS:
        raise Invalid({"cis": f"Name at most {MAX_CIS} CIs."})
    return ids


def link(incident: Incident, ci_ids: Sequence[int]) -> None:
    """Link a new incident to these CIs (no journal: the incident's creation says it all)."""
    ids = sorted(set(ci_ids))
    if ids:
        db.session.execute(
            insert(incident_cis), [{"incident_id": incident.id, "ci_id": i} for i in ids]
        )


def services_for(user: Any) -> tuple[list[ConfigurationItem], list[ConfigurationItem]]:
    """Business services an employee may name in a problem report: ``(theirs, others)``.

    Theirs are those whose users group counts them; others are the rest of the services in
    service or in maintenance (what anyone may be hit by). Only business services: an employee
    never sees hosts, devices or applications of the CMDB here.
    """
    root = db.session.scalar(select(CIClass).where(CIClass.name == SERVICE_CLASS))
    if root is None:
        return [], []
    rows = db.session.scalars(
        select(ConfigurationItem)
        .where(
            ConfigurationItem.class_id.in_(subtree_ids(root)),
            ConfigurationItem.status.in_([Lifecycle.IN_SERVICE, Lifecycle.IN_MAINTENANCE]),
        )
        .order_by(ConfigurationItem.name)
    ).all()
    groups = set(
        db.session.scalars(
            select(group_members.c.group_id).where(group_members.c.user_id == user.id)
        )
    )
    theirs = [ci for ci in rows if ci.users_group_id in groups]
    return theirs, [ci for ci in rows if ci.users_group_id not in groups]


def open_incidents_on(ci: ConfigurationItem, limit: int) -> list[Incident]:
    """Open incidents linked to a CI, most urgent first (the CMDB's CI page)."""
    linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id == ci.id)
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.id.in_(linked), Incident.state.in_([s.value for s in OPEN_STATES]))
            .order_by(Incident.priority, Incident.opened_at.desc())
            .limit(limit)
        )
    )


register_ci_incidents(open_incidents_on)
