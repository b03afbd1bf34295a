"""An incident's configuration items: links to CMDB rows by id, so a renamed CI stays linked.

Names are looked up only where a person or a file types them (the agent's new-incident form,
the demo loader), case-insensitively through the indexed ``ConfigurationItem.name_key``. The
employee's report form offers business services only (:func:`services_for`). The CI picker on
the incident page adds and removes CIs by id, with the optimistic version check and a journal
entry (:func:`add_ci`, :func:`remove_ci`, :func:`search`).

Incidents depend on the CMDB, never the reverse: the CMDB's CI page asks for incidents with
the signal ``app.cmdb.signals.ci_open_incidents``, which :func:`open_incidents_on` answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, delete, func, insert, select

from app.auth.models import group_members
from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, Lifecycle
from app.cmdb.models import ConfigurationItem
from app.errors import Invalid, NotFound, check_version
from app.extensions import db
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES
from app.tickets import services as tickets
from app.tickets.models import EntryKind
from app.timeutils import utc_now

MAX_CIS = 50
SEARCH_LIMIT = 15


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
        raise Invalid({"cis": _("No CI is named %(names)s.", names=", ".join(unknown[:5]))})
    ids = sorted({i for i, _ in rows})
    if len(ids) > MAX_CIS:
        raise Invalid({"cis": _("Name at most %(count)s CIs.", count=MAX_CIS)})
    return ids


def link(incident: Incident, ci_ids: Sequence[int]) -> None:
    """Link a new incident to these CIs (no journal: the incident's creation says it all)."""
    ids = sorted(set(ci_ids))
    if ids:
        db.session.execute(
            insert(incident_cis), [{"incident_id": incident.id, "ci_id": i} for i in ids]
        )


def get_ci(ci_id: Any) -> ConfigurationItem:
    """The CI of this id (as a form sends it).

    :raise NotFound: no such CI (deleted meanwhile), or not an id.
    """
    text = str(ci_id or "")
    known = text.isdecimal() and len(text) < 10
    ci = db.session.get(ConfigurationItem, int(text)) if known else None
    if ci is None:
        raise NotFound(_("This configuration item does not exist (any more)."))
    return ci


def _change(incident: Incident, actor: Any, before: list[str], body: str) -> None:
    incident.updated_at = utc_now()  # the links live elsewhere: bump the incident's version
    after = names_of(ci_ids_of(incident))
    changes = {"cis": [before, after]}
    tickets.add_entry(incident, EntryKind.CHANGE, actor, body=body, changes=changes)
    db.session.flush()
    db.session.expire(incident, ["cis"])


def add_ci(incident: Incident, ci: ConfigurationItem, *, actor: Any, expected_version: Any) -> bool:
    """Link a CI to the incident; False when it was linked already (nothing changes).

    :raise Conflict: the incident changed since ``expected_version``.
    :raise Invalid: the incident has :data:`MAX_CIS` CIs already.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    current = ci_ids_of(incident)
    if ci.id in current:
        return False
    if len(current) >= MAX_CIS:
        raise Invalid({"ci": _("An incident names at most %(count)s CIs.", count=MAX_CIS)})
    before = names_of(current)
    db.session.execute(insert(incident_cis).values(incident_id=incident.id, ci_id=ci.id))
    _change(incident, actor, before, f"CI added: {ci.name}")
    return True


def remove_ci(
    incident: Incident, ci: ConfigurationItem, *, actor: Any, expected_version: Any
) -> bool:
    """Unlink a CI from the incident; False when it was not linked.

    :raise Conflict: the incident changed since ``expected_version``.
    """
    check_version(incident, expected_version, _("Incident %(number)s", number=incident.number))
    current = ci_ids_of(incident)
    if ci.id not in current:
        return False
    before = names_of(current)
    db.session.execute(
        delete(incident_cis).where(
            incident_cis.c.incident_id == incident.id, incident_cis.c.ci_id == ci.id
        )
    )
    _change(incident, actor, before, f"CI removed: {ci.name}")
    return True


def search(text: str, limit: int = SEARCH_LIMIT) -> list[ConfigurationItem]:
    """CIs (not retired) whose name contains every word of ``text``, for agents' typeahead."""
    words = (text or "").split()[:4]
    if not words:
        return []
    query = select(ConfigurationItem).where(ConfigurationItem.status != Lifecycle.RETIRED)
    for word in words:
        key = ConfigurationItem.name_key
        query = query.where(key.contains(word[:100].lower(), autoescape=True))
    return list(db.session.scalars(query.order_by(ConfigurationItem.name).limit(limit)))


def services_for(user: Any) -> tuple[list[ConfigurationItem], list[ConfigurationItem]]:
    """Business services an employee may name in a problem report: ``(theirs, others)``.

    Theirs are those whose users group counts them; others are the rest of the services in
    service or in maintenance (what anyone may be hit by). Only business services: an employee
    never sees hosts, devices or applications of the CMDB here. Read in one statement (the
    business service class and its subclasses, the services, whether the person is in each
    one's users group), built once.
    """
    rows = db.session.execute(_services_statement(), {"user_id": user.id}).all()
    return [ci for ci, theirs in rows if theirs], [ci for ci, theirs in rows if not theirs]


@cache
def _services_statement() -> Select[ConfigurationItem, bool]:
    """:func:`services_for`'s statement; the person's id is the parameter ``user_id``."""
    groups = select(group_members.c.group_id).where(
        group_members.c.user_id == bindparam("user_id", type_=Integer)
    )
    theirs = func.coalesce(ConfigurationItem.users_group_id.in_(groups), False)
    return (
        select(ConfigurationItem, theirs.label("theirs"))
        .where(
            of_class(BUSINESS_SERVICE),
            ConfigurationItem.status.in_([Lifecycle.IN_SERVICE, Lifecycle.IN_MAINTENANCE]),
        )
        .order_by(ConfigurationItem.name)
    )


def open_incidents_on(ci: ConfigurationItem, limit: int) -> list[Incident]:
    """Open incidents linked to a CI, most urgent first (the CMDB's CI page: a receiver of
    ``app.cmdb.signals.ci_open_incidents``, connected by the application factory)."""
    linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id == ci.id)
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.id.in_(linked), Incident.state.in_([s.value for s in OPEN_STATES]))
            .order_by(Incident.priority, Incident.opened_at.desc())
            .limit(limit)
        )
    )
